#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu). It installs what the kit builds on and builds the grader-owned
# parts, so each submission only compiles the learner's files.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq build-essential pkg-config patch \
    libcurl4-openssl-dev libcjson-dev libcmocka-dev libmicrohttpd-dev
cd /autograder/source
make -s build/mockserver build/libkit.a build/grader/runner
# Grade the reference solutions: proves the image works, and leaves every
# grader-owned object built.
sh tests/grader/grade.sh --solutions --view table
