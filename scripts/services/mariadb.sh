#!/usr/bin/env bash
# A private MariaDB for PetClinic's MySQL tests and local runs, on loopback.
#
#   scripts/services/mariadb.sh start   # install if needed, init, start, wait; prints the env line
#   scripts/services/mariadb.sh env     # prints the env line
#   scripts/services/mariadb.sh status  # exit 0 when running, 3 when stopped
#   scripts/services/mariadb.sh stop    # shut down and wait
#
# `start` and `env` print exactly one line on stdout, for
#   eval "$(scripts/services/mariadb.sh start)"
# and everything else on stderr. Every command is idempotent.
#
# Data, socket, pid and log live under ${GAMEDAY_CACHE:-$HOME/.cache/gameday}/mariadb,
# so the database survives restarts. The server listens on 127.0.0.1:${MARIADB_PORT:-33306}.
# User petclinic/petclinic owns the databases named petclinic* (tests create and
# drop their own petclinic_test_* databases).
set -euo pipefail

PORT="${MARIADB_PORT:-33306}"
DIR="${GAMEDAY_CACHE:-$HOME/.cache/gameday}/mariadb"
DATA="$DIR/data"
SOCK="$DIR/mariadb.sock"
PIDFILE="$DIR/mariadb.pid"
LOG="$DIR/mariadb.log"
WAIT_SECONDS="${MARIADB_WAIT_SECONDS:-30}"
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf 'mariadb.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

env_line() {
	printf "export PETCLINIC_TEST_MYSQL_DSN='petclinic:petclinic@tcp(127.0.0.1:%s)/petclinic?parseTime=true&multiStatements=false'\n" "$PORT"
}

# as_root runs the SQL on stdin as root through the socket (root has no password and
# cannot be reached over TCP).
as_root() {
	mariadb --no-defaults --protocol=socket --socket="$SOCK" -uroot
}

pid() {
	if [ -f "$PIDFILE" ]; then
		cat "$PIDFILE" 2>/dev/null || true
	fi
}

running() {
	local p
	p="$(pid)"
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null &&
		mariadb-admin --no-defaults --protocol=socket --socket="$SOCK" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

install() {
	command -v mariadbd >/dev/null && return
	log "installing mariadb-server with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server >&2 ||
		die "apt-get install mariadb-server failed"
}

init_datadir() {
	[ -d "$DATA/mysql" ] && return
	log "initialising $DATA"
	mkdir -p "$DATA"
	mariadb-install-db --no-defaults --user=root --datadir="$DATA" \
		--auth-root-authentication-method=normal --skip-test-db >>"$LOG" 2>&1 ||
		{
			tail -n 20 "$LOG" >&2
			die "mariadb-install-db failed (log: $LOG)"
		}
}

launch() {
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		die "port $PORT is taken by another process; set MARIADB_PORT"
	fi
	log "starting mariadbd on 127.0.0.1:$PORT"
	# A small, test-friendly server: a modest buffer pool for a shared 2-core
	# machine, and commits flushed once a second rather than on every commit.
	setsid mariadbd --no-defaults --user=root \
		--datadir="$DATA" --socket="$SOCK" --pid-file="$PIDFILE" --log-error="$LOG" \
		--bind-address=127.0.0.1 --port="$PORT" --skip-name-resolve \
		--innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 \
		--max-connections=200 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		</dev/null >>"$LOG" 2>&1 &
	local i
	for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
		running && return
		sleep 0.25
	done
	tail -n 30 "$LOG" >&2
	die "mariadbd not ready after ${WAIT_SECONDS}s (log: $LOG)"
}

provision() {
	as_root <<-'SQL' || die "creating user petclinic failed"
		CREATE USER IF NOT EXISTS 'petclinic'@'127.0.0.1' IDENTIFIED BY 'petclinic';
		CREATE USER IF NOT EXISTS 'petclinic'@'localhost' IDENTIFIED BY 'petclinic';
		GRANT ALL PRIVILEGES ON `petclinic%`.* TO 'petclinic'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON `petclinic%`.* TO 'petclinic'@'localhost';
		CREATE DATABASE IF NOT EXISTS petclinic CHARACTER SET utf8mb4;
	SQL
}

start() {
	mkdir -p "$DIR"
	if ! running; then
		install
		init_datadir
		launch
	else
		log "already running (pid $(pid), port $PORT)"
	fi
	provision
	env_line
}

stop() {
	local p i
	p="$(pid)"
	if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then
		log "not running"
		rm -f "$PIDFILE"
		return
	fi
	log "stopping pid $p"
	mariadb-admin --no-defaults --protocol=socket --socket="$SOCK" -uroot shutdown >/dev/null 2>&1 ||
		kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
		kill -0 "$p" 2>/dev/null || {
			log "stopped"
			return
		}
		sleep 0.25
	done
	die "pid $p still running after ${WAIT_SECONDS}s"
}

status() {
	if running; then
		log "running (pid $(pid), 127.0.0.1:$PORT, data $DATA)"
		return 0
	fi
	log "stopped"
	return 3
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
env) env_line ;;
*)
	log "usage: $0 {start|stop|status|env}"
	exit 2
	;;
esac
