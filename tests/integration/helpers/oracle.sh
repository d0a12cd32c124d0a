# helpers/oracle.sh: what the oracle scripts share to read fabfed's bytes
# with `protoc --decode` against Fabric's official .proto files (the
# fabric-protos npm package, installed by scripts/setup into tests/oracles).
# Sourced after FABFED_SRC is checked; sets $official.

official="${FABFED_SRC:?FABFED_SRC not set}/tests/oracles/node_modules/fabric-protos"

# oracle_require_protos REL: exit 77 (skip) when $official/protos/REL is
# absent, the one reason an oracle test skips.
oracle_require_protos() {
	if [ ! -f "$official/protos/$1" ]; then
		echo "SKIP: $official is absent: run scripts/setup (npm ci --prefix tests/oracles) to install Fabric's official .proto files"
		exit 77
	fi
}

# decode TYPE PROTO IN OUT: protoc --decode with the official files; a
# failure ends the script (exit 1) with protoc's complaint.
decode() {
	if ! protoc --decode="$1" -I "$official/protos" \
	    -I "$official/google-protos" "$2" <"$3" >"$4" 2>"$4.err"; then
		echo "FAIL: protoc cannot decode $(basename "$3") as $1: $(cat "$4.err")" >&2
		exit 1
	fi
}
