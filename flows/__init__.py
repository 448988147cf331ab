"""Prefect flows: ``ingest`` (every 15 min), ``track`` (hourly) and ``digest`` (daily at 08:00).

The flows only wire ``yuqing.pipeline`` functions together and add orchestration: batching, retries,
the warehouse lock, timeouts, run names and artifacts. Their deployments are in ``prefect.yaml``; the
embedded single-machine mode is ``yuqing serve`` (``yuqing/serve.py``). Import a flow from its module
(``flows.ingest``…); this package does not import Prefect on its own.
"""

__all__ = ["common", "digest", "ingest", "track"]
