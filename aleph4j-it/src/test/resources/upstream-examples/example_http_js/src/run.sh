#!/bin/sh

set -euf

cd /opt/code
node /opt/code/server.js
