"""Where the JVM artifacts fetched by `make jars` live.

`conf/jars/pom.xml` is the one place that names Maven coordinates; `mvn dependency:copy-dependencies`
copies the resolved closure into a folder (``./jars`` by default). This module only finds that folder,
so the same code works from a checkout, an installed wheel with ``DQ_ENGINE_JARS_DIR`` set, or a
cluster image that bakes the jars in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

JARS_ENV = "DQ_ENGINE_JARS_DIR"
REQUIRED_PREFIXES = ("delta-spark_", "delta-storage-", "deequ-", "spark-nlp_", "dq-engine-codecs-")


def default_jars_dir() -> Path:
    """The jars folder: ``$DQ_ENGINE_JARS_DIR``, else ``./jars``, else ``jars`` beside the package."""
    env = os.environ.get(JARS_ENV)
    if env:
        return Path(env)
    cwd_jars = Path.cwd() / "jars"
    if cwd_jars.is_dir():
        return cwd_jars
    return Path(__file__).resolve().parents[2] / "jars"


def find_jars(jars_dir: str | Path | None = None) -> list[Path]:
    """Every ``*.jar`` in the jars folder, sorted, after checking the engine's own artifacts are there.

    Raises:
        FileNotFoundError: when the folder or one of Delta, Deequ or Spark NLP is missing, with the
            command that fetches them.
    """
    folder = Path(jars_dir) if jars_dir else default_jars_dir()
    jars = sorted(folder.glob("*.jar")) if folder.is_dir() else []
    names = [j.name for j in jars]
    missing = [p for p in REQUIRED_PREFIXES if not any(n.startswith(p) for n in names)]
    if missing:
        raise FileNotFoundError(
            f"JVM artifacts missing from {folder} ({', '.join(missing)}): run `make jars` "
            f"(mvn -f conf/jars/pom.xml dependency:copy-dependencies -DoutputDirectory=jars) "
            f"or set {JARS_ENV}."
        )
    return jars


def main() -> None:
    """Print the jars as a comma-separated list, for ``spark-submit --jars``."""
    print(",".join(str(j) for j in find_jars(sys.argv[1] if len(sys.argv) > 1 else None)))


if __name__ == "__main__":
    main()
