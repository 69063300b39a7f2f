#!/bin/sh
# A "binary" program: any executable that serves HTTP on the port given in $PORT (8080 by default).
exec python3 "$(dirname "$0")/server.py"
