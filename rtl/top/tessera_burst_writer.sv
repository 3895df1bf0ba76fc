// A region's writes: the AW bursts (a splitter) and the W beats with WLAST, which may
// run ahead of their AW as AXI allows. A region is taken when the last one's beats
// are all gone and its last burst is issuing or issued.
//
// Beats are words (AWSIZE = WORD_BYTES) on a data bus of BUS_BYTES: a narrow beat's
// word goes on every word lane and WSTRB names the lane its address selects.
module tessera_burst_writer #(
    parameter int WORD_BYTES = 16,
    parameter int BUS_BYTES  = 16,  // a multiple of WORD_BYTES
    parameter int MAX_BEATS  = 16
) (
    input  logic                    clk,
    input  logic                    rst_n,
    input  logic                    req_valid,
    output logic                    req_ready,
    input  logic [            63:0] req_addr,
    input  logic [            35:0] req_words,
    // The region's words, in order.
    input  logic                    data_valid,
    output logic                    data_ready,
    input  logic [WORD_BYTES*8-1:0] data,
    output logic                    aw_valid,
    input  logic                    aw_ready,
    output logic [            63:0] aw_addr,
    output logic [             7:0] aw_len,
    output logic [             2:0] aw_size,
    output logic                    w_valid,
    input  logic                    w_ready,
    output logic [ BUS_BYTES*8-1:0] w_data,
    output logic [   BUS_BYTES-1:0] w_strb,
    output logic                    w_last
);
  localparam int LANES = BUS_BYTES / WORD_BYTES;
  logic aw_idle;
  logic [63:0] addr;        // the next beat's address
  logic [35:0] left;        // the region's beats not yet written
  logic [35:0] burst_left;  // beats left in the current burst; 0: a burst begins
  logic [35:0] beats;
  tessera_burst_splitter #(
      .WORD_BYTES(WORD_BYTES),
      .MAX_BEATS (MAX_BEATS)
  ) address_phase (
      .clk      (clk),
      .rst_n    (rst_n),
      .req_valid(req_valid && req_ready),
      .req_ready(aw_idle),
      .req_addr (req_addr),
      .req_words(req_words),
      .valid    (aw_valid),
      .ready    (aw_ready),
      .req_size (3'($clog2(WORD_BYTES))),
      .addr     (aw_addr),
      .len      (aw_len),
      .size     (aw_size)
  );
  // The W side cuts the region as the AW side does, to place WLAST.
  tessera_burst_beats #(
      .WORD_BYTES(WORD_BYTES),
      .MAX_BEATS (MAX_BEATS)
  ) piece (
      .offset(addr[11:0]),
      .words (left),
      .beats (beats)
  );
  logic [35:0] beats_now;
  assign beats_now  = burst_left == 0 ? beats : burst_left;
  assign req_ready  = left == 0 && aw_idle;
  assign w_valid    = data_valid && left != 0;
  assign data_ready = w_ready && left != 0;
  assign w_data     = {LANES{data}};
  if (LANES == 1) begin : g_one_lane
    assign w_strb = '1;
  end else begin : g_lanes
    logic [$clog2(LANES)-1:0] lane;
    assign lane   = addr[$clog2(BUS_BYTES)-1:$clog2(WORD_BYTES)];
    assign w_strb = BUS_BYTES'({WORD_BYTES{1'b1}}) << (32'(lane) * WORD_BYTES);
  end
  assign w_last     = beats_now == 36'd1;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      addr       <= '0;
      left       <= '0;
      burst_left <= '0;
    end else if (req_valid && req_ready) begin
      addr       <= req_addr;
      left       <= req_words;
      burst_left <= '0;
    end else if (w_valid && w_ready) begin
      addr       <= addr + 64'(WORD_BYTES);
      left       <= left - 36'd1;
      burst_left <= beats_now - 36'd1;
    end
  end

`ifndef SYNTHESIS
  c_data_before_address: cover property (@(posedge clk) rst_n && w_valid && w_ready && aw_valid &&
                                         !aw_ready);
`endif
endmodule
