// The top's memory port keeps AXI4's burst rules (docs/rtl.md, "Memory port"): a
// unit asks for a region of whole words, and this module cuts it into INCR bursts
// (tessera_burst_beats says how long each is).
//
// A region's bursts are of words (WORD_BYTES a beat) or, where a unit asks for them,
// one beat of the whole bus (req_size; the region is then one word long and aligned,
// so it never crosses 4 KiB).
//
// One region's address phase: AR (or AW) bursts, one per clock while the channel is
// ready. The next region is taken in the clock its last burst issues.
module tessera_burst_splitter #(
    parameter int WORD_BYTES = 16,
    parameter int MAX_BEATS  = 16
) (
    input  logic        clk,
    input  logic        rst_n,
    input  logic        req_valid,
    output logic        req_ready,
    input  logic [63:0] req_addr,
    input  logic [35:0] req_words,
    input  logic [ 2:0] req_size,  // the region's beats: 2**req_size bytes, as ARSIZE
    output logic        valid,
    input  logic        ready,
    output logic [63:0] addr,
    output logic [ 7:0] len,    // beats - 1, as AXI's ARLEN/AWLEN
    output logic [ 2:0] size    // ARSIZE/AWSIZE of the region's bursts
);
  logic [35:0] left;  // words of the region not yet in a burst
  logic [35:0] beats;
  tessera_burst_beats #(
      .WORD_BYTES(WORD_BYTES),
      .MAX_BEATS (MAX_BEATS)
  ) piece (
      .offset(addr[11:0]),
      .words (left),
      .beats (beats)
  );
  assign valid = left != 0;
  assign len = 8'(beats - 36'd1);
  assign req_ready = left == 0 || (ready && beats == left);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      left <= '0;
      addr <= '0;
      size <= '0;
    end else if (req_valid && req_ready) begin
      left <= req_words;
      addr <= req_addr;
      size <= req_size;
    end else if (valid && ready) begin
      left <= left - beats;
      addr <= addr + 64'(beats) * 64'(WORD_BYTES);
    end
  end

`ifndef SYNTHESIS
  c_burst_cut_at_4kib: cover property (@(posedge clk) rst_n && valid && ready &&
                                       beats < left && beats < 36'(MAX_BEATS));
  c_region_back_to_back: cover property (@(posedge clk) rst_n && req_valid && req_ready &&
                                         left != 0);
`endif
endmodule

