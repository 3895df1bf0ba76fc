// OUT_BYTES bytes of `in` from byte `offset` on (zeros past its end): one stage per
// offset bit, each shifting by a constant number of bytes or not. A `>>` by a
// computed 32-bit amount makes synthesis build a shifter for every amount bit and
// every bit position; this one is as wide as the offsets a record can have, and a
// constant offset costs nothing (docs/rtl.md "Synthesis").
module tessera_byte_select #(
    parameter int IN_BYTES    = 16,
    parameter int OUT_BYTES   = 4,
    parameter int OFFSET_BITS = 4
) (
    input  logic [  IN_BYTES*8-1:0] in,
    input  logic [ OFFSET_BITS-1:0] offset,
    output logic [ OUT_BYTES*8-1:0] out
);
  // Stage b holds `in` shifted by the offset's low b bits (each stage its own signal,
  // so a simulator orders them without iterating).
  genvar b;
  generate
    for (b = 0; b <= OFFSET_BITS; b++) begin : g_stage
      // Whole-record stages; only the bytes that can reach `out` are used (synthesis
      // drops the rest).
      /* verilator lint_off UNUSEDSIGNAL */
      logic [IN_BYTES*8-1:0] value;
      /* verilator lint_on UNUSEDSIGNAL */
      if (b == 0) begin : g_input
        assign value = in;
      end else begin : g_shift
        assign value = offset[b-1] ? g_stage[b-1].value >> (8 << (b - 1)) : g_stage[b-1].value;
      end
    end
  endgenerate
  assign out = g_stage[OFFSET_BITS].value[OUT_BYTES*8-1:0];
endmodule
