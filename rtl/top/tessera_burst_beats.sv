// The beats of the burst at `offset` (the address within its 4 KiB) with `words`
// (> 0) left: the words that fit before the next 4 KiB boundary, at most MAX_BEATS,
// at least one. AXI4 bursts may not cross 4 KiB; a word that starts less than a word
// before the boundary (only at an address that is not a multiple of WORD_BYTES) goes
// alone in a one-beat burst.
module tessera_burst_beats #(
    parameter int WORD_BYTES = 16,
    parameter int MAX_BEATS  = 16
) (
    input  logic [11:0] offset,  // the address within its 4 KiB
    input  logic [35:0] words,
    output logic [35:0] beats
);
  localparam int WORD_SHIFT = $clog2(WORD_BYTES);
  logic [12:0] room_bytes;
  logic [35:0] room;
  assign room_bytes = 13'd4096 - 13'(offset);
  assign room = 36'(room_bytes) >> WORD_SHIFT;
  logic [35:0] capped;
  assign capped = words > 36'(MAX_BEATS) ? 36'(MAX_BEATS) : words;
  assign beats  = capped <= room ? capped : room == 0 ? 36'd1 : room;
endmodule

