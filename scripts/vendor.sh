#!/usr/bin/env bash
# Fetch the three browser libraries the site serves itself, so that it works offline:
#   MathJax 3 (typesetting), RequireJS and the @jupyter-widgets html-manager (widgets).
# They come from the npm registry with `npm pack` (no node_modules, no install scripts),
# are checked against pinned sha512 integrity values, and are unpacked into vendor/
# (git-ignored). Sphinx copies vendor/ to the site root (html_extra_path in _config.yml).
# Idempotent: does nothing when vendor/ already holds these exact versions.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=vendor
STAMP="$VENDOR/.vendored"

# name@version  integrity (from `npm view <pkg>@<ver> dist.integrity`)
PACKAGES=(
  "mathjax@3.2.2 sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
  "requirejs@2.3.7 sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw=="
  "@jupyter-widgets/html-manager@1.0.6 sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ=="
)

WANT_STAMP=$(printf '%s\n' "${PACKAGES[@]}")
if [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$WANT_STAMP" ]] \
   && [[ -f "$VENDOR/mathjax-3.2.2/es5/tex-mml-chtml.js" ]] \
   && [[ -f "$VENDOR/requirejs-2.3.7/require.js" ]] \
   && [[ -f "$VENDOR/html-manager-1.0.6/dist/embed-amd.js" ]]; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm
  else
    echo "vendor.sh: npm is needed: apt-get install -y npm (as root)" >&2; exit 1
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for entry in "${PACKAGES[@]}"; do
  spec=${entry%% *}
  want=${entry#* }
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/npm.log") \
    || { cat "$tmp/npm.log" >&2; echo "vendor.sh: npm pack $spec failed" >&2; exit 1; }
done

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
for entry in "${PACKAGES[@]}"; do
  spec=${entry%% *}
  want=${entry#* }
  name=${spec%@*}; version=${spec##*@}
  tgz="$tmp/$(echo "${name#@}" | tr / -)-$version.tgz"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [[ "$got" != "$want" ]]; then
    echo "vendor.sh: integrity mismatch for $spec" >&2
    echo "  expected $want" >&2
    echo "  got      $got" >&2
    exit 1
  fi
  dir="$tmp/x/$(echo "$name" | tr -d @ | tr / -)"
  mkdir -p "$dir"
  tar -xzf "$tgz" -C "$dir"
  case "$name" in
    mathjax)
      mkdir -p "$VENDOR/mathjax-$version"
      cp -r "$dir/package/es5" "$dir/package/LICENSE" "$VENDOR/mathjax-$version/" ;;
    requirejs)
      mkdir -p "$VENDOR/requirejs-$version"
      cp "$dir/package/require.js" "$VENDOR/requirejs-$version/"
      cp "$dir/package/README.md" "$VENDOR/requirejs-$version/README.md" ;;
    @jupyter-widgets/html-manager)
      mkdir -p "$VENDOR/html-manager-$version/dist"
      # the bundles, their lazily loaded chunks and fonts; not the source maps
      find "$dir/package/dist" -maxdepth 1 -type f ! -name '*.map' \
        -exec cp {} "$VENDOR/html-manager-$version/dist/" \;
      cp "$dir/package/LICENSE" "$VENDOR/html-manager-$version/" ;;
  esac
  echo "vendored $spec"
done

printf '%s\n' "$WANT_STAMP" > "$STAMP"
