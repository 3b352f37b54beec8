#!/usr/bin/env bash
# Installs what building and testing Roost needs on Debian 12, and nothing when it is all there.
# Runs unattended (CI runs it as root with no standard input).
set -euo pipefail

APT_PACKAGES=(
  liblz4-dev libsqlite3-dev libssl-dev libcrypt-dev zlib1g-dev   # system libraries Roost links
  lld                                                           # linker for `make fuzz`
  whois                                                         # mkpasswd, for the password tests
  curl openssl                                                  # metrics and TLS tests
  fetchmail mpop getmail6                                       # POP3 client tests
  swaks msmtp libnet-ssleay-perl libio-socket-ssl-perl          # SMTP client tests (swaks TLS needs Net::SSLeay)
  isync offlineimap3 mutt tmux                                  # IMAP client tests (mbsync, offlineimap, mutt under tmux)
  knot knot-dnsutils                                            # DNS test server (scripts/dns-test-server.sh), kdig
  opendkim opendkim-tools                                       # DKIM signers for the verification tests
)
PIP_PACKAGES=(passlib sievelib)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  echo "install-deps: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

for p in "${PIP_PACKAGES[@]}"; do
  python3 -c "import $p" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check "$p" </dev/null
done
# PyPI packages whose module has another name (package:module): dkimpy signs the DKIM test messages.
for pm in dkimpy:dkim pynacl:nacl; do
  python3 -c "import ${pm#*:}" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check "${pm%%:*}" </dev/null
done

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "install-deps: swift is at /opt/swift/usr/bin; add it to PATH" >&2
  else
    echo "install-deps: Swift 6.1 or newer is needed (https://www.swift.org/install/linux/)" >&2
  fi
  exit 1
fi
