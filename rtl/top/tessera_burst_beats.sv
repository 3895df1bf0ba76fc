// The beats of the burst at `addr` with `words` (> 0) left: the words that fit before
// the next 4 KiB boundary, at most MAX_BEATS, at least one.
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
  always_comb begin
    beats = words;
    if (beats > 36'(MAX_BEATS)) beats = 36'(MAX_BEATS);
    if (beats > room) beats = room == 0 ? 36'd1 : room;
  end
endmodule

