# helpers/standin.sh: shell functions shared by the integration scripts that
# run a client against a stand-in server (httpc.sh, participation_client.sh,
# grpc_client.sh, k8s_apply.sh). Sourced, never run: it lives in a
# subdirectory so the CTest glob integration/*.sh does not take it for a
# test. Bash only; it sets no options and defines only standin_* names.
#
#   standin_need CMD...          exit 77 (skipped) unless every CMD is on PATH
#   standin_ca DIR NAME [SUBJ]   self-signed P-256 CA: DIR/NAME.crt, NAME.key
#   standin_leaf DIR NAME CA EXT [SUBJ]
#                                P-256 leaf DIR/NAME.crt, NAME.key (and .csr,
#                                .ext) signed by DIR/CA.crt; EXT is printf %b
#                                text (\n between extensions)
#   standin_pki DIR SAN          CAs ca and otherca, server (SAN, serverAuth)
#                                and client (clientAuth), both from ca
#   standin_stop PID...          TERM, up to 5 s for it to go, KILL, reap
#   standin_wait TENTHS FILE PID NAME [FILE PID NAME]...
#                                wait (at most TENTHS x 0.1 s) until every
#                                FILE is non-empty; fails at once when a PID
#                                is gone
#   standin_trap DIR LOG...      on EXIT: stop STANDIN_PIDS, print the tail
#                                of each DIR/LOG if the status is not 0,
#                                remove DIR, keep the exit status
#
# A script starts its servers with `cmd & STANDIN_PIDS+=($!)`.

STANDIN_PIDS=()
STANDIN_DIR=""
STANDIN_LOGS=()

standin_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null ||
			{ echo "$c not installed: skipped"; exit 77; }
	done
}

standin_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.crt" -days 2 \
	    -subj "${3:-/CN=itest $2}" >/dev/null 2>&1
}

standin_leaf() {
	printf '%b' "$4" >"$1/$2.ext" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.csr" -subj "${5:-/CN=itest $2}" \
	    >/dev/null 2>&1 &&
	openssl x509 -req -in "$1/$2.csr" -CA "$1/$3.crt" \
	    -CAkey "$1/$3.key" -CAcreateserial -days 2 \
	    -extfile "$1/$2.ext" -out "$1/$2.crt" >/dev/null 2>&1
}

standin_pki() {
	standin_ca "$1" ca || { echo "cannot make the CA"; return 1; }
	standin_ca "$1" otherca || { echo "cannot make the other CA"; return 1; }
	standin_leaf "$1" server ca "subjectAltName=$2\\nextendedKeyUsage=serverAuth\\nbasicConstraints=CA:FALSE\\n" ||
		{ echo "cannot make the server certificate"; return 1; }
	standin_leaf "$1" client ca 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' ||
		{ echo "cannot make the client certificate"; return 1; }
}

standin_stop() {
	local p i
	for p in "$@"; do
		[[ -n "$p" ]] && kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

standin_wait() {
	local n=$1 i j ready
	shift
	(($# > 0 && $# % 3 == 0)) || { echo "standin_wait: bad arguments"; return 1; }
	for ((i = 0; i < n; i++)); do
		ready=1
		for ((j = 1; j <= $#; j += 3)); do
			[[ -s "${!j}" ]] || ready=0
		done
		((ready)) && return 0
		for ((j = 2; j <= $#; j += 3)); do
			local k=$((j + 1))
			kill -0 "${!j}" 2>/dev/null || { echo "${!k} exited"; return 1; }
		done
		sleep 0.1
	done
	for ((j = 1; j <= $#; j += 3)); do
		[[ -s "${!j}" ]] && continue
		local k=$((j + 2))
		echo "${!k} did not start in $((n / 10)) s"
		return 1
	done
	return 0
}

standin_cleanup() {
	local rc=$? f
	set +e
	standin_stop "${STANDIN_PIDS[@]}"
	if [[ $rc -ne 0 ]]; then
		for f in "${STANDIN_LOGS[@]}"; do
			[[ -f "$STANDIN_DIR/$f" ]] || continue
			echo "--- $f (tail)"
			tail -n 30 "$STANDIN_DIR/$f"
		done
	fi
	[[ -n "$STANDIN_DIR" ]] && rm -rf "$STANDIN_DIR"
	exit "$rc"
}

standin_trap() {
	STANDIN_DIR=$1
	shift
	STANDIN_LOGS=("$@")
	trap standin_cleanup EXIT
}
