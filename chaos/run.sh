#!/usr/bin/env bash
# The chaos soak (docs/reliability.md), from the repository root. Builds the three jars it needs
# when one is missing, then runs the rig; arguments go to the rig, e.g.
#   chaos/run.sh --duration 2m            # the CI variant, a random seed (printed)
#   chaos/run.sh --duration 2m --seed 42  # replay a run's faults and workload
# Exit code 0: no violation; 1: a promise broke (the report names it); 2: the rig itself failed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f chaos/target/waybill-chaos.jar ] || [ ! -f outbox-relay/target/outbox-relay.jar ] \
  || [ ! -f dlq-tools/target/dlq.jar ]; then
  mvn -B -q package -DskipTests -pl chaos,outbox-relay,dlq-tools -am
fi
exec java -Xmx384m -jar chaos/target/waybill-chaos.jar "$@"
