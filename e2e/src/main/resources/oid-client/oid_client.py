#!/usr/bin/python3
"""A client that caches type OIDs per process, as Django does (django.contrib.postgres looks up hstore's OIDs once
per process and registers psycopg2's hstore caster for them on every new connection).

Reads an hstore column through the given DSN every 200 ms and uses it as a dict. After the database behind the DSN
changes to one where hstore has another OID, the caster no longer matches: the value arrives as a str and `.items()`
fails, as Django's views did (AttributeError: 'str' object has no attribute 'items'). SIGHUP restarts the process at
once (exec of itself): the new process looks the OIDs up again. A read in flight then (held by PgBouncer's PAUSE during
a cutover) is abandoned, as a worker killed mid-request would drop it: it is logged, never read with stale OIDs.

Each line of the log: <unix time> <started|ok|stale-oid|db-error|restarting> <detail>.
usage: oid_client.py DSN LOG PIDFILE
"""
import os
import signal
import sys
import time

import psycopg2
import psycopg2.extensions
import psycopg2.extras

dsn, log_path, pid_path = sys.argv[1:4]
log = open(log_path, "a", buffering=1)


def say(kind, detail=""):
    log.write("%.3f %s %s\n" % (time.time(), kind, detail))


in_flight = False


def restart(signum, frame):
    say("restarting", "SIGHUP, abandoning the read in flight" if in_flight else "SIGHUP")
    log.flush()
    os.execv(sys.executable, [sys.executable] + sys.argv)


oids = None
# libpq driven from Python (not blocking inside C): SIGHUP acts while a query waits on PgBouncer's PAUSE
psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)


def connect():
    global oids
    conn = psycopg2.connect(dsn, connect_timeout=5)
    conn.autocommit = True
    if oids is None:
        with conn.cursor() as cur:
            cur.execute("SELECT oid, typarray FROM pg_type WHERE typname = 'hstore'")
            oids = cur.fetchone()
        say("started", "hstore oid %d" % oids[0])
    psycopg2.extras.register_hstore(conn, oid=oids[0], array_oid=oids[1])
    return conn


with open(pid_path, "w") as f:
    f.write(str(os.getpid()))
signal.signal(signal.SIGHUP, restart)
conn = None
while True:
    try:
        if conn is None or conn.closed:
            conn = connect()
        with conn.cursor() as cur:
            in_flight = True
            cur.execute("SELECT attrs FROM public.users WHERE attrs IS NOT NULL ORDER BY id LIMIT 1")
            attrs = cur.fetchone()[0]
            in_flight = False
        say("ok", ",".join(sorted(k for k, _ in attrs.items())))
    except AttributeError as e:
        say("stale-oid", str(e).replace("\n", " "))
    except psycopg2.Error as e:
        say("db-error", str(e).strip().replace("\n", " "))
        try:
            conn.close()
        except Exception:
            pass
        conn = None
    in_flight = False
    time.sleep(0.2)
