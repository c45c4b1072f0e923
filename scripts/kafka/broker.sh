#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker in KRaft combined mode (broker + controller in one JVM),
# built from the Maven Central artifacts listed in pom.xml beside this script.
#
#   broker.sh start   fetch jars if needed, format fresh storage, start, wait until ready;
#                     prints KAFKA_BROKERS=host:port on its last line
#   broker.sh stop    stop the broker started from the same state folder
#
# Environment:
#   KAFKA_VERSION       Kafka release (default 3.9.1; 4.1.1 also passes the bus tests with kafkajs 2.2.4)
#   KAFKA_PORT          client port (default 19092); the controller uses KAFKA_PORT+1
#   KAFKA_STATE_DIR     config, data, pid and log (default .cache/kafka-broker in the repo)
#   STREAMWARDEN_CACHE  download cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/streamwarden)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
version="${KAFKA_VERSION:-3.9.1}"
port="${KAFKA_PORT:-19092}"
controller_port=$((port + 1))
state="${KAFKA_STATE_DIR:-$repo/.cache/kafka-broker}"
cache="${STREAMWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamwarden}"
jars="$cache/kafka-jars-$version"
major="${version%%.*}"

log() { printf '[kafka-broker] %s\n' "$*" >&2; }

fetch_jars() {
  if [ -f "$jars/.complete" ]; then
    log "using cached Kafka $version jars in $jars"
    return
  fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch the Kafka jars"; exit 1; }
  log "fetching org.apache.kafka:kafka_2.13:$version and its dependencies from Maven Central"
  rm -rf "$jars.tmp"
  local profile=()
  if [ "$major" -ge 4 ]; then profile=(-Dkafka4); fi
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" "${profile[@]}" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$jars.tmp" >&2
  rm -rf "$jars" && mv "$jars.tmp" "$jars" && touch "$jars/.complete"
  log "$(find "$jars" -name '*.jar' | wc -l) jars in $jars"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  command -v java >/dev/null || { log "Java is required to run the Kafka broker"; exit 1; }
  if [ -f "$state/broker.pid" ] && kill -0 "$(cat "$state/broker.pid")" 2>/dev/null; then
    log "already running (pid $(cat "$state/broker.pid"))"
    echo "KAFKA_BROKERS=127.0.0.1:$port"
    return
  fi
  if port_open "$port"; then log "port $port is taken by another process"; exit 1; fi
  fetch_jars
  rm -rf "$state" && mkdir -p "$state/data"
  cat >"$state/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$state/data
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat >"$state/log4j.properties" <<EOF
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.Kafka=INFO
EOF
  cat >"$state/log4j2.yaml" <<EOF
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
      - name: kafka.Kafka
        level: INFO
EOF
  local cp="$jars/*"
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$state/log4j.properties" "-Dlog4j2.configurationFile=$state/log4j2.yaml")
  local cluster_id
  cluster_id="$(java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid | tail -n 1)"
  log "formatting KRaft storage (cluster id $cluster_id)"
  java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$state/server.properties" >"$state/format.log" 2>&1 \
    || { cat "$state/format.log" >&2; exit 1; }
  log "starting Kafka $version (KRaft combined mode) on 127.0.0.1:$port"
  nohup java "${java_opts[@]}" -cp "$cp" kafka.Kafka "$state/server.properties" \
    >"$state/broker.log" 2>&1 </dev/null &
  echo $! >"$state/broker.pid"
  local waited=0
  until grep -q 'Kafka Server started' "$state/broker.log" 2>/dev/null && port_open "$port"; do
    if ! kill -0 "$(cat "$state/broker.pid")" 2>/dev/null; then
      log "broker exited during start-up:"; tail -n 40 "$state/broker.log" >&2; exit 1
    fi
    if [ "$waited" -ge 120 ]; then
      log "broker not ready after 120 s:"; tail -n 40 "$state/broker.log" >&2; exit 1
    fi
    sleep 1; waited=$((waited + 1))
  done
  log "ready after ${waited}s: $(grep -m1 'Kafka Server started' "$state/broker.log")"
  echo "KAFKA_BROKERS=127.0.0.1:$port"
}

stop() {
  [ -f "$state/broker.pid" ] || { log "no broker pid in $state"; return 0; }
  local pid; pid="$(cat "$state/broker.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped (pid $pid)"
  fi
  rm -f "$state/broker.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
