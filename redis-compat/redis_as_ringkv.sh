#!/bin/sh
# Stand-in for ringkv-server that runs redis-server with the same arguments, used to
# validate the differential suite (redis vs redis must give 0 mismatches):
#   python3 run_diff.py --ringkv ./redis_as_ringkv.sh --redis redis-server
# REDIS_SERVER overrides which redis-server binary is started.
exec "${REDIS_SERVER:-redis-server}" "$@" --save '' --appendonly no --daemonize no
