"""gunicorn's settings in production and in the benchmark's load row (bench/load.py), one file.

    gunicorn trdclinic.wsgi --config python:trdclinic.gunicorn_conf --bind 127.0.0.1:8000

Sync workers behind the TLS proxy, which buffers slow clients. Threaded workers (gthread, 4
threads) were measured for issue 18 beside them on the shared two-core machine: the same CPU per
request (19.4 and 19.6 ms) and requests/s within the noise, so the one-request-per-process model,
under which PDF rendering and the chart browser never share a process between requests, stays.
"""

worker_class = "sync"
# Seconds before a silent worker is restarted: the longest page, a full report PDF whose chart
# browser starts cold, takes about 5 s (bench/README.md).
timeout = 60
