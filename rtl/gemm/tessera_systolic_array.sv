// ROWS x COLS output-stationary systolic array with its input skew.
//
// Each cycle (when `en`) one beat enters: column k of the A tile (ROWS int8, row r at
// bits [8r +: 8]) with its tags, and column k of the W tile (COLS int8). A flush beat
// carries zero operands (the engine's sequencer zeroes them), so the PEs that it
// restarts add nothing and need no clear of their own. Row r of A
// is delayed r cycles and column c of W c cycles, so PE(r,c) sees A[r][k] and W[c][k]
// together, r + c cycles after the beat entered. When PE(r, COLS-1) retires a tile,
// all of row r has: `row_retire[r]` goes high for that cycle and the row's results
// can be read from the next cycle on: `read_data` is row `read_row` (PE(r,c) at
// [32c +: 32]).
//
// Every PE on anti-diagonal d = r + c sees the beat's tags d cycles after it entered,
// so the tags travel down one chain of ROWS + COLS - 1 stages and each diagonal
// decodes them once for its PEs (what a beat does, and whether it retires a tile):
// a PE is its operand registers, a multiply-add and two int32 registers, which also
// keeps the Verilated model fast (one packed word per row of operands, no per-PE
// control). Needs ROWS + COLS >= 3.
//
// Vector mode (GEMV, M = 1): no operand moves between PEs. Each beat broadcasts one
// A byte (`a_broadcast`) and its tags to every PE, and PE(r,c) takes its own W byte
// from `w_lanes` (lane r*COLS + c), so the array does ROWS*COLS useful MACs per
// cycle with no reuse of W. All rows retire in the same cycle. The tag chain past
// diagonal 0 carries empty beats meanwhile, so no vector beat reaches a later
// matrix job.
module tessera_systolic_array #(
    parameter int ROWS = 16,
    parameter int COLS = 16
) (
    input  logic                     clk,
    input  logic                     rst_n,
    input  logic                     en,
    input  logic                     beat_valid,
    input  logic                     beat_first,
    input  logic                     beat_flush,
    input  logic [       ROWS*8-1:0] a_column,
    input  logic [       COLS*8-1:0] w_column,
    input  logic                     vector_mode,
    input  logic [              7:0] a_broadcast,
    input  logic [  ROWS*COLS*8-1:0] w_lanes,
    input  logic [$clog2(ROWS)-1:0]  read_row,
    output logic [      COLS*32-1:0] read_data,
    output logic [         ROWS-1:0] row_retire
);
  localparam int DIAGONALS = ROWS + COLS - 1;

  // ---- Tags and control per anti-diagonal ------------------------------------------
  logic [DIAGONALS-1:0] tag_valid, tag_first, tag_flush;
  logic [DIAGONALS-1:1] valid_q, first_q, flush_q;  // the tags past diagonal 0
  assign tag_valid = {valid_q, beat_valid};
  assign tag_first = {first_q, beat_first};
  assign tag_flush = {flush_q, beat_flush};
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      valid_q <= '0;
      first_q <= '0;
      flush_q <= '0;
    end else if (en) begin
      valid_q <= (DIAGONALS-1)'({tag_valid[DIAGONALS-2:1], beat_valid && !vector_mode});
      first_q <= (DIAGONALS-1)'({tag_first[DIAGONALS-2:1], beat_first});
      flush_q <= (DIAGONALS-1)'({tag_flush[DIAGONALS-2:1], beat_flush});
    end
  end

  // A diagonal holds a tile in progress between a first beat and a flush.
  logic [DIAGONALS-1:0] active, boundary, retire;
  assign boundary = tag_valid & (tag_first | tag_flush);
  assign retire   = {DIAGONALS{en}} & boundary & active;
  always_ff @(posedge clk) begin
    if (!rst_n) active <= '0;
    else if (en) active <= (active & ~boundary) | (boundary & ~tag_flush);
  end

  // What the PEs of each diagonal do (in vector mode, all do what diagonal 0 does).
  logic [DIAGONALS-1:0] pe_mac, pe_restart, pe_retire;
  assign pe_mac     = vector_mode ? {DIAGONALS{tag_valid[0]}} : tag_valid;
  assign pe_restart = vector_mode ? {DIAGONALS{tag_first[0] | tag_flush[0]}}
                                  : tag_first | tag_flush;
  assign pe_retire  = vector_mode ? {DIAGONALS{retire[0]}} : retire;

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r++) begin : g_row_retire
      assign row_retire[r] = pe_retire[r+COLS-1];
    end
  endgenerate

  // ---- Operand skew (no reset: a beat's tags say when its operands count) ----------
  // Row r's delay line is one packed shift register (newest byte lowest).
  logic [7:0] west_a [ROWS];
  logic [7:0] north_w[COLS];
  generate
    for (r = 0; r < ROWS; r++) begin : g_row_skew
      if (r == 0) begin : g_direct
        assign west_a[0] = a_column[7:0];
      end else begin : g_delay
        logic [r*8-1:0] a_q;
        always_ff @(posedge clk) begin
          if (en) a_q <= (r*8)'({a_q, a_column[r*8+:8]});
        end
        assign west_a[r] = a_q[(r-1)*8+:8];
      end
    end
    for (c = 0; c < COLS; c++) begin : g_col_skew
      if (c == 0) begin : g_direct
        assign north_w[0] = w_column[7:0];
      end else begin : g_delay
        logic [c*8-1:0] w_q;
        always_ff @(posedge clk) begin
          if (en) w_q <= (c*8)'({w_q, w_column[c*8+:8]});
        end
        assign north_w[c] = w_q[(c-1)*8+:8];
      end
    end
  endgenerate

  // ---- The PEs -----------------------------------------------------------------------
  // A row of PEs keeps its a registers as one packed word (PE c at [8c +: 8]), so a
  // moves east by one shift of the word; its w registers, likewise one word, move
  // south to the next row. Each PE adds to its int32 accumulator and keeps the
  // finished sum. No reset: operands and sums are don't-care until a valid beat
  // defines them. A vector job's operands are chosen per row, so each PE has one
  // multiplier (one DSP slice: the int8 x int8 product in int32, whose sign-extended
  // operands synthesis narrows back to 8 bits).
  logic [COLS*8-1:0] w_row[ROWS];  // each row's w registers, for the row below
  logic [    31:0] result[ROWS][COLS];
  generate
    for (r = 0; r < ROWS; r++) begin : g_pe_row
      logic [COLS*8-1:0] a_q, w_q;      // the row's registers
      logic [COLS*8-1:0] a_in, w_in;    // what the row's PEs take this cycle (matrix jobs)
      logic [COLS*8-1:0] a_mul, w_mul;  // what they multiply (vector jobs: the broadcast)
      assign a_in     = (COLS*8)'({a_q, west_a[r]});
      assign a_mul    = vector_mode ? {COLS{a_broadcast}} : a_in;
      assign w_mul    = vector_mode ? w_lanes[r*COLS*8+:COLS*8] : w_in;
      assign w_row[r] = w_q;
      if (r == 0) begin : g_north
        for (c = 0; c < COLS; c++) begin : g_w
          assign w_in[c*8+:8] = north_w[c];
        end
      end else begin : g_inner
        assign w_in = w_row[r-1];
      end
      always_ff @(posedge clk) begin
        if (en) begin
          a_q <= a_in;
          w_q <= w_in;
        end
      end
      for (c = 0; c < COLS; c++) begin : g_pe_col
        logic [31:0] acc, sum;
        always_ff @(posedge clk) begin
          if (en) begin
            if (pe_retire[r+c]) sum <= acc;
            if (pe_mac[r+c]) begin
              acc <= (pe_restart[r+c] ? 32'd0 : acc) +
                     $unsigned(32'($signed(a_mul[c*8+:8])) * 32'($signed(w_mul[c*8+:8])));
            end
          end
        end
        assign result[r][c] = sum;
      end
    end
    for (c = 0; c < COLS; c++) begin : g_read
      assign read_data[c*32+:32] = result[read_row][c];
    end
  endgenerate

  // The last row's w registers leave the array unused.
  logic unused;
  assign unused = ^w_row[ROWS-1];
endmodule
