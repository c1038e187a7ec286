#!/usr/bin/env bash
# Local Redis for PetClinic's vets cache and its integration tests.
#
#   scripts/services/redis.sh start   start (or keep) Redis on 127.0.0.1:$REDIS_PORT
#   scripts/services/redis.sh stop    shut it down and wait until it is gone
#   scripts/services/redis.sh status  say whether it answers; exit 1 if not
#   scripts/services/redis.sh env     print the variable the tests read
#
# start and env print exactly one line on stdout:
#   export PETCLINIC_TEST_REDIS_ADDR=127.0.0.1:36379
# so `eval "$(scripts/services/redis.sh start)"` works; everything else goes
# to stderr. No persistence: the cache is rebuilt from the database.
# Settings: REDIS_PORT (36379), GAMEDAY_CACHE (~/.cache/gameday).
set -euo pipefail

port="${REDIS_PORT:-36379}"
dir="${GAMEDAY_CACHE:-$HOME/.cache/gameday}/redis"
pidfile="$dir/redis.pid"
logfile="$dir/redis.log"
addr="127.0.0.1:$port"

log() { printf 'redis.sh: %s\n' "$*" >&2; }

ping() {
	[[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]]
}

print_env() {
	printf 'export PETCLINIC_TEST_REDIS_ADDR=%s\n' "$addr"
}

install() {
	if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
		return
	fi
	log "installing redis-server with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >&2
}

start() {
	install
	if ping; then
		log "already running on $addr"
		print_env
		return
	fi
	mkdir -p "$dir"
	redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
		--daemonize yes --pidfile "$pidfile" --logfile "$logfile" \
		--save '' --appendonly no --protected-mode yes >&2
	for _ in $(seq 1 100); do
		if ping; then
			log "running on $addr (log: $logfile)"
			print_env
			return
		fi
		sleep 0.1
	done
	log "no PONG on $addr after 10s; last log lines:"
	tail -n 20 "$logfile" >&2 || true
	exit 1
}

stop() {
	if ! ping; then
		log "not running on $addr"
		rm -f "$pidfile"
		return
	fi
	local pid=""
	[[ -f "$pidfile" ]] && pid="$(cat "$pidfile")"
	redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
	for _ in $(seq 1 100); do
		if ! ping && { [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; }; then
			rm -f "$pidfile"
			log "stopped"
			return
		fi
		sleep 0.1
	done
	log "still running on $addr after 10s"
	exit 1
}

status() {
	if ping; then
		log "running on $addr"
		return
	fi
	log "not running on $addr"
	exit 1
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
env) print_env ;;
*)
	log "usage: $0 {start|stop|status|env}"
	exit 2
	;;
esac
