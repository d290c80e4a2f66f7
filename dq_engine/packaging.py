"""``make package``: everything a cluster submit needs, in one folder.

    python -m dq_engine.packaging dist

writes

- ``dq_engine-<version>-py3-none-any.whl``: the wheel (``pip install`` it on cluster nodes, Glue's
  ``--additional-python-modules``, a Databricks cluster library);
- ``dq_engine_pyfiles.zip``: the same code for ``spark-submit --py-files`` (the wheel's content,
  including its ``*.dist-info``, so the ``dq_engine.stages`` entry points are found from the zip);
- ``dq_engine_conf.zip``: the ``conf/`` folder, for ``--conf-path dq_engine_conf.zip`` (Glue
  ``--extra-files``) or ``--archives dq_engine_conf.zip#conf`` (YARN / Kubernetes cluster mode);
- ``jars.txt``: the JVM closure (Delta, Deequ, Spark NLP, codecs) as the comma-separated list
  ``--jars`` takes, and ``jars.lst`` with one jar file name per line (what to upload next to them).

The third-party Python dependencies (pyarrow, pycld2, ...) are not bundled: install the wheel with
its dependencies on the nodes, or ship a packed environment (README "Run it on your platform").
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from dq_engine.spark.jars import find_jars

REPO_ROOT = Path(__file__).resolve().parents[1]


def build(out_dir: Path, repo_root: Path = REPO_ROOT, jars_dir: Path | None = None) -> dict[str, Path]:
    """Build the wheel, the ``--py-files`` zip, the conf zip and the jar lists into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("dq_engine-*.whl"):
        old.unlink()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out_dir), str(repo_root)],
        check=True,
        cwd=repo_root,
    )
    wheel = next(out_dir.glob("dq_engine-*.whl"))
    pyfiles = out_dir / "dq_engine_pyfiles.zip"
    shutil.copyfile(wheel, pyfiles)  # a pure-Python wheel is a zip with the packages at its root
    with zipfile.ZipFile(pyfiles) as zf:
        names = zf.namelist()
    if "dq_engine/__init__.py" not in names or not any(
        n.endswith(".dist-info/entry_points.txt") for n in names
    ):
        raise RuntimeError(f"{wheel.name} lacks dq_engine/ or its entry points")

    conf = out_dir / "dq_engine_conf.zip"
    with zipfile.ZipFile(conf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((repo_root / "conf").rglob("*")):
            if path.is_file() and "jars" not in path.relative_to(repo_root / "conf").parts:
                zf.write(path, path.relative_to(repo_root).as_posix())

    jars = find_jars(jars_dir or repo_root / "jars")
    (out_dir / "jars.txt").write_text(",".join(str(j) for j in jars) + "\n", encoding="utf-8")
    (out_dir / "jars.lst").write_text("".join(f"{j.name}\n" for j in jars), encoding="utf-8")
    return {"wheel": wheel, "pyfiles": pyfiles, "conf": conf, "jars": out_dir / "jars.txt"}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
    for kind, path in build(out).items():
        print(f"{kind:<8} {path}")


if __name__ == "__main__":
    main()
