# Sourced by scripts: checks what aleph4j needs on this machine and installs what is missing when it
# can (root with apt-get); otherwise says how. Needs: JDK 21+, Maven, Python 3 with FastAPI, aiohttp, pip and
# uvicorn (ASGI programs), squashfs-tools (squashfs code), curl; with ALEPH4J_WITH_SANDBOX=1 (as root)
# also what the sandbox executor and volumes need; with ALEPH4J_WITH_EXAMPLES=1 what upstream's example
# programs of the compatibility suite and the console's browser test need.
aleph4j_missing_packages() {
  local need=()
  command -v mvn >/dev/null 2>&1 || need+=(maven)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  /usr/bin/python3 -c 'import fastapi, uvicorn' >/dev/null 2>&1 || need+=(python3-fastapi python3-uvicorn)
  # upstream's runtimes also give programs aiohttp (and pip); the CRN runs them on this python
  /usr/bin/python3 -c 'import aiohttp' >/dev/null 2>&1 || need+=(python3-aiohttp)
  /usr/bin/python3 -c 'import pip' >/dev/null 2>&1 || need+=(python3-pip)
  { command -v mksquashfs && command -v unsquashfs; } >/dev/null 2>&1 || need+=(squashfs-tools)
  if [ "${ALEPH4J_WITH_SANDBOX:-0}" = 1 ]; then
    # the sandbox executor: bubblewrap, libseccomp's Python binding (its seccomp filter), nftables (egress rules)
    command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
    /usr/bin/python3 -I -c 'import seccomp' >/dev/null 2>&1 || need+=(python3-seccomp)
    command -v nft >/dev/null 2>&1 || need+=(nftables)
    # volumes: a loop-mounted btrfs image per volume, snapshots shipped with btrfs send/receive
    { command -v mkfs.btrfs && command -v btrfs; } >/dev/null 2>&1 || need+=(btrfs-progs)
  fi
  if [ "${ALEPH4J_WITH_EXAMPLES:-0}" = 1 ]; then
    # upstream's example programs the compatibility suite runs (UpstreamExamplesTest)
    command -v node >/dev/null 2>&1 || need+=(nodejs)
    # npx runs s3rver (the S3 stores' tests, CcnReplicasTest); npm installs the TypeScript SDK (TypeScriptSdkTest)
    command -v npx >/dev/null 2>&1 || need+=(npm)
    /usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need+=(python3-django)
    # the console's browser test (ConsoleBrowserTest): Debian's Chromium, driven by playwright-core from npm
    [ -x /usr/bin/chromium ] || need+=(chromium)
    command -v npm >/dev/null 2>&1 || need+=(npm)
  fi
  echo "${need[@]:-}"
}

aleph4j_setup() {
  local need
  need=$(aleph4j_missing_packages)
  if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "aleph4j: installing $need" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null && apt-get install -y -qq $need >/dev/null
    else
      echo "aleph4j needs these Debian packages: $need" >&2
      echo "install them with: sudo apt-get install -y $need" >&2
      return 1
    fi
  fi
}
