#!/bin/sh
# azd prepackage/postpackage hook: which host.json goes into the package. With
# DURABLE_BACKEND=durableTaskScheduler (azd env set, or the provision output of the same name)
# the package carries host.dts.json as its host.json (storageProvider azureManaged); otherwise
# host.json as it is. `restore` puts the original back after packaging.
set -eu
backup=.azure/host.json.before-package

restore() {
  if [ -f "$backup" ]; then
    mv "$backup" host.json
  fi
}

case "${1:-}" in
  apply)
    restore # a package step that failed half way left the scheduler variant in place
    case "${DURABLE_BACKEND:-azureStorage}" in
      azureStorage) ;;
      durableTaskScheduler)
        mkdir -p .azure
        cp host.json "$backup"
        cp host.dts.json host.json
        echo "select-host-json: packaging host.dts.json as host.json (Durable Task Scheduler backend)"
        ;;
      *)
        echo "select-host-json: DURABLE_BACKEND must be azureStorage or durableTaskScheduler, got '$DURABLE_BACKEND'" >&2
        exit 1
        ;;
    esac
    ;;
  restore) restore ;;
  *)
    echo "usage: select-host-json.sh apply|restore" >&2
    exit 2
    ;;
esac
