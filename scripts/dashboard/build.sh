#!/usr/bin/env bash
# Rebuild the dashboard's vendored JavaScript from the versions pinned in package.json.
#
#   scripts/dashboard/build.sh
#
# Writes, under src/limelight/spotlight/dashboard/static/vendor/:
#   graph.min.js      graphology + sigma (and their dependencies) as one IIFE bundle
#   htmx.min.js       htmx.org's own minified build, copied unchanged
#   LICENSES.txt      the licence text of every package in those two files
# Needs node and npm; nothing here runs when limelight is installed or served.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../src/limelight/spotlight/dashboard/static/vendor"
cd "$here"
npm ci --no-audit --no-fund --ignore-scripts
# esbuild's binary ships in a per-platform package; call it directly (no install script).
esbuild="$(ls node_modules/@esbuild/*/bin/esbuild | head -n 1)"
mkdir -p "$out"
"$esbuild" entry.js --bundle --minify --format=iife --target=es2020 \
    --legal-comments=none --log-level=warning --outfile="$out/graph.min.js"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
{
    echo "Third-party code vendored into limelight's dashboard (static/vendor/)."
    echo "graph.min.js bundles graphology, graphology-utils, events and sigma;"
    echo "htmx.min.js is htmx.org's own build. Their licences follow."
    for pkg in graphology graphology-utils events sigma htmx.org; do
        version="$(node -p "require('./node_modules/$pkg/package.json').version")"
        licence="$(ls node_modules/$pkg/LICEN[CS]E* | head -n 1)"
        echo
        echo "================================================================"
        echo "$pkg $version"
        echo "================================================================"
        cat "$licence"
    done
} > "$out/LICENSES.txt"
echo "wrote $(cd "$out" && pwd)/{graph.min.js,htmx.min.js,LICENSES.txt}"
