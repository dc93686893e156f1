# make bench-tls: TLS handshakes/s, bulk MB/s and memory per idle TLS
# connection of a levee server beside nginx-light with the same
# certificate, same run (TLS_KEY=ec for an ECDSA certificate instead of
# RSA 2048). See docs/bench/tls.md.
TLS_RUNS ?= 5
TLS_SECS ?= 5
TLS_MIB ?= 512
TLS_IDLE ?= 2000

$(BUILD)/bench/tlsgen: bench/tls/tlsgen.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $< -lssl -lcrypto

bench-tls: all $(BUILD)/bench/tlsgen
	@$(MAKE) --no-print-directory bench-deps
	@bench/tls/run.sh $(BUILD)/bench/tlsgen $(TLS_RUNS) $(TLS_SECS) $(TLS_MIB) $(TLS_IDLE)

bench: bench-tls
