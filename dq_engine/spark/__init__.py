"""Spark session construction and JVM artifact discovery."""

from dq_engine.spark.jars import find_jars
from dq_engine.spark.session import build_session, stop_session

__all__ = ["build_session", "find_jars", "stop_session"]
