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
//
// With CHECKSUMS (Huang-Abraham; docs/reliability.md) the array has a checksum column
// of PEs, PE(r, COLS) = sum_k A[r][k] * wsum[k], fed by row r's A and the W column sums
// `w_sum`, and a checksum row, PE(ROWS, c) = sum_k asum[k] * W[c][k], fed by the A
// column sums `a_sum` and column c's W (no corner PE). Row r's results retire one
// diagonal later, together with its row checksum (read_data's top lane), and the
// checksum row is readable as row ROWS one cycle after row ROWS - 1 (`row_retire
// [ROWS]`), so the engine pushes ROWS + 1 beats per tile, one per cycle. A vector job
// has one checksum PE instead: it multiplies the broadcast A byte by the sum of the
// beat's ROWS*COLS W lanes, which a pipelined adder tree of TREE = clog2(ROWS*COLS)
// register levels forms, so it runs TREE cycles behind the array. It also keeps
// whether any A byte of the tile failed its parity (`a_parity_error`, which comes with
// the beat). One cycle after it retires a tile, `vector_check_valid` pulses with the
// tile's checksum (`vector_check`) and parity flag (`vector_check_bad`).
//
// Fault injection (simulation only, not in synthesis): a beat tagged `beat_fault`
// makes PE (fault_row, fault_col), checksum PEs included, store its multiply-add
// through fault_and, fault_or and fault_xor when the beat reaches it.
module tessera_systolic_array #(
    parameter int ROWS      = 16,
    parameter int COLS      = 16,
    parameter int CHECKSUMS = 0  // 1: the checksum row and column
) (
    input  logic                                 clk,
    input  logic                                 rst_n,
    input  logic                                 en,
    input  logic                                 beat_valid,
    input  logic                                 beat_first,
    input  logic                                 beat_flush,
    input  logic [                   ROWS*8-1:0] a_column,
    input  logic [                   COLS*8-1:0] w_column,
    // The A (W) column's sum, ROWS (COLS) int8 values: used with CHECKSUMS.
    input  logic [        8+$clog2(ROWS)-1:0]    a_sum,
    input  logic [        8+$clog2(COLS)-1:0]    w_sum,
    input  logic                                 vector_mode,
    input  logic [                          7:0] a_broadcast,
    input  logic [              ROWS*COLS*8-1:0] w_lanes,
    // The beat's A byte failed its parity check (vector mode, CHECKSUMS).
    input  logic                                 a_parity_error,
    input  logic [$clog2(ROWS+CHECKSUMS)-1:0] read_row,
    output logic [COLS*32+32*CHECKSUMS-1:0] read_data,
    output logic [   ROWS+CHECKSUMS-1:0]    row_retire,
    // A vector tile's checksum (CHECKSUMS), one cycle after its PE retired it.
    output logic                                 vector_check_valid,
    output logic [                         31:0] vector_check,
    output logic                                 vector_check_bad
`ifndef SYNTHESIS
    ,
    input  logic                                 beat_fault,
    input  logic [                         15:0] fault_row,
    input  logic [                         15:0] fault_col,
    input  logic [                         31:0] fault_and,
    input  logic [                         31:0] fault_or,
    input  logic [                         31:0] fault_xor
`endif
);
  localparam int CS         = CHECKSUMS != 0 ? 1 : 0;
  localparam int READ_ROWS  = ROWS + CS;  // the tile's rows, then the checksum row
  localparam int A_SUM_BITS = 8 + $clog2(ROWS);
  localparam int W_SUM_BITS = 8 + $clog2(COLS);
  localparam int DIAGONALS  = ROWS + COLS - 1 + 2 * CS;
  localparam int TREE       = $clog2(ROWS * COLS);  // the vector checksum's adder levels

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

  // Which PEs a faulty beat strikes (simulation only).
  logic [DIAGONALS-1:0] tag_fault;
  logic [     ROWS:0] fault_in_row;
  logic [     COLS:0] fault_in_col;
`ifndef SYNTHESIS
  logic [DIAGONALS-1:1] fault_q;
  assign tag_fault = {fault_q, beat_fault};
  always_ff @(posedge clk) begin
    if (!rst_n) fault_q <= '0;
    else if (en) fault_q <= (DIAGONALS-1)'({tag_fault[DIAGONALS-2:1], beat_fault});
  end
  always_comb begin
    for (int i = 0; i <= ROWS; i++) fault_in_row[i] = 32'(fault_row) == i;
    for (int i = 0; i <= COLS; i++) fault_in_col[i] = 32'(fault_col) == i;
  end
`else
  assign tag_fault    = '0;
  assign fault_in_row = '0;
  assign fault_in_col = '0;
`endif
  // What a PE stores: its multiply-add, or that struck by a fault.
`ifndef SYNTHESIS
  function automatic logic [31:0] stored(input logic [31:0] value, input logic struck);
    stored = struck ? ((value & fault_and) | fault_or) ^ fault_xor : value;
  endfunction
`else
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [31:0] stored(input logic [31:0] value, input logic struck);
    stored = value;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
`endif

  // A diagonal holds a tile in progress between a first beat and a flush.
  logic [DIAGONALS-1:0] active, boundary, retire;
  assign boundary = tag_valid & (tag_first | tag_flush);
  assign retire   = {DIAGONALS{en}} & boundary & active;
  always_ff @(posedge clk) begin
    if (!rst_n) active <= '0;
    else if (en) active <= (active & ~boundary) | (boundary & ~tag_flush);
  end

  // What the PEs of each diagonal do (in vector mode, all do what diagonal 0 does).
  logic [DIAGONALS-1:0] pe_mac, pe_restart, pe_retire, pe_fault;
  assign pe_fault   = vector_mode ? {DIAGONALS{tag_fault[0]}} : tag_fault;
  assign pe_mac     = vector_mode ? {DIAGONALS{tag_valid[0]}} : tag_valid;
  assign pe_restart = vector_mode ? {DIAGONALS{tag_first[0] | tag_flush[0]}}
                                  : tag_first | tag_flush;
  assign pe_retire  = vector_mode ? {DIAGONALS{retire[0]}} : retire;

  genvar r, c;
  generate
    for (r = 0; r < READ_ROWS; r++) begin : g_row_retire
      assign row_retire[r] = pe_retire[r+COLS-1+CS];
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
  logic [    31:0] result[READ_ROWS][COLS+CS];
  logic [(COLS+CS)*32-1:0] row_results[READ_ROWS];
  logic [     7:0] a_leaving[ROWS];  // what each row's last PE passed on (checksum column)
  generate
    for (r = 0; r < ROWS; r++) begin : g_pe_row
      logic [COLS*8-1:0] a_q, w_q;      // the row's registers
      logic [COLS*8-1:0] a_in, w_in;    // what the row's PEs take this cycle (matrix jobs)
      logic [COLS*8-1:0] a_mul, w_mul;  // what they multiply (vector jobs: the broadcast)
      assign a_in     = (COLS*8)'({a_q, west_a[r]});
      assign a_leaving[r] = a_q[(COLS-1)*8+:8];
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
              acc <= stored((pe_restart[r+c] ? 32'd0 : acc) +
                            $unsigned(32'($signed(a_mul[c*8+:8])) * 32'($signed(w_mul[c*8+:8]))),
                            pe_fault[r+c] && fault_in_row[r] && fault_in_col[c]);
            end
          end
        end
        assign result[r][c] = sum;
      end
    end
    for (r = 0; r < READ_ROWS; r++) begin : g_read_row
      for (c = 0; c < COLS + CS; c++) begin : g_read_col
        assign row_results[r][c*32+:32] = result[r][c];
      end
    end
    // The read port. A variable index over a row count that is not a power of two
    // (the checksum row makes ROWS + 1) makes Yosys build a shifter over the whole
    // array (9,231 LUTs for the 8x8 array, against 2,542 this way); a power of two
    // indexes best (1,863 against 2,121 this way).
    if ((READ_ROWS & (READ_ROWS - 1)) == 0) begin : g_read_indexed
      assign read_data = row_results[read_row];
    end else begin : g_read_case
      always_comb begin
        read_data = '0;
        for (int i = 0; i < READ_ROWS; i++) begin
          if (32'(read_row) == i) read_data = row_results[i];
        end
      end
    end
  endgenerate

  // ---- Checksum PEs (CHECKSUMS) --------------------------------------------------------
  generate
    if (CS == 1) begin : g_checksums
      // The column checksum's W: the W column sums, skewed like a column COLS of W
      // and passed south from row to row.
      logic [COLS*W_SUM_BITS-1:0] w_sum_skew;
      logic [W_SUM_BITS-1:0] w_sum_down[ROWS];
      always_ff @(posedge clk) begin
        if (en) w_sum_skew <= (COLS*W_SUM_BITS)'({w_sum_skew, w_sum});
      end
      for (r = 0; r < ROWS; r++) begin : g_check_column
        logic [W_SUM_BITS-1:0] w_in, w_q;
        logic [31:0] acc, sum;
        assign w_in = r == 0 ? w_sum_skew[(COLS-1)*W_SUM_BITS+:W_SUM_BITS] : w_sum_down[r-1];
        assign w_sum_down[r] = w_q;
        always_ff @(posedge clk) begin
          if (en) begin
            w_q <= w_in;
            if (pe_retire[r+COLS]) sum <= acc;
            if (pe_mac[r+COLS]) begin
              acc <= stored((pe_restart[r+COLS] ? 32'd0 : acc) +
                            $unsigned(32'($signed(a_leaving[r])) * 32'($signed(w_in))),
                            pe_fault[r+COLS] && fault_in_row[r] && fault_in_col[COLS]);
            end
          end
        end
        assign result[r][COLS] = sum;
      end

      // The row checksum's A: the A column sums, skewed like a row ROWS of A and
      // passed east from PE to PE.
      logic [ROWS*A_SUM_BITS-1:0] a_sum_skew;
      logic [COLS*A_SUM_BITS-1:0] sa_q, sa_in;
      always_ff @(posedge clk) begin
        if (en) begin
          a_sum_skew <= (ROWS*A_SUM_BITS)'({a_sum_skew, a_sum});
          sa_q       <= sa_in;
        end
      end
      assign sa_in = (COLS*A_SUM_BITS)'({sa_q, a_sum_skew[(ROWS-1)*A_SUM_BITS+:A_SUM_BITS]});
      for (c = 0; c < COLS; c++) begin : g_check_row
        logic [31:0] acc, sum;
        always_ff @(posedge clk) begin
          if (en) begin
            if (pe_retire[ROWS+c]) sum <= acc;
            if (pe_mac[ROWS+c]) begin
              acc <= stored((pe_restart[ROWS+c] ? 32'd0 : acc) +
                            $unsigned(32'($signed(sa_in[c*A_SUM_BITS+:A_SUM_BITS])) *
                                      32'($signed(w_row[ROWS-1][c*8+:8]))),
                            pe_fault[ROWS+c] && fault_in_row[ROWS] && fault_in_col[c]);
            end
          end
        end
        assign result[ROWS][c] = sum;
      end
      assign result[ROWS][COLS] = '0;  // no corner PE

      // The vector checksum: level l of the adder tree holds 2^(TREE-l) sums of 2^l
      // lanes (lanes past ROWS*COLS are zero), registered level by level.
      for (genvar l = 1; l <= TREE; l++) begin : g_tree
        localparam int SUMS = 1 << (TREE - l);
        localparam int BITS = 8 + l;
        logic [SUMS*BITS-1:0] level;
        if (l == 1) begin : g_from_lanes
          logic [(2*SUMS)*8-1:0] lanes;
          assign lanes = (2 * SUMS * 8)'(w_lanes);
          always_ff @(posedge clk) begin
            if (en) begin
              for (int i = 0; i < SUMS; i++) begin
                level[i*BITS+:BITS] <= BITS'($signed(lanes[2*i*8+:8])) +
                                       BITS'($signed(lanes[(2*i+1)*8+:8]));
              end
            end
          end
        end else begin : g_from_level
          always_ff @(posedge clk) begin
            if (en) begin
              for (int i = 0; i < SUMS; i++) begin
                level[i*BITS+:BITS] <= BITS'($signed(g_tree[l-1].level[2*i*(BITS-1)+:BITS-1])) +
                                       BITS'($signed(g_tree[l-1].level[(2*i+1)*(BITS-1)+:BITS-1]));
              end
            end
          end
        end
      end
      logic [8+TREE-1:0] w_lane_sum;
      assign w_lane_sum = g_tree[TREE].level;

      // Diagonal 0's beat, delayed TREE cycles to meet its lane sum.
      logic [TREE-1:0] d_valid, d_restart, d_retire, d_fault, d_parity;
      logic [TREE*8-1:0] d_a;
      always_ff @(posedge clk) begin
        if (!rst_n) begin
          d_valid  <= '0;
          d_retire <= '0;
        end else if (en) begin
          d_valid  <= TREE'({d_valid, vector_mode && tag_valid[0]});
          d_retire <= TREE'({d_retire, vector_mode && boundary[0] && active[0]});
        end
      end
      always_ff @(posedge clk) begin
        if (en) begin
          d_restart <= TREE'({d_restart, tag_first[0] | tag_flush[0]});
          d_fault   <= TREE'({d_fault, tag_fault[0]});
          d_parity  <= TREE'({d_parity, a_parity_error});
          d_a       <= (TREE * 8)'({d_a, a_broadcast});
        end
      end
      logic v_valid, v_restart, v_retire, v_parity;
      logic [7:0] v_a;
      assign v_valid   = d_valid[TREE-1];
      assign v_restart = d_restart[TREE-1];
      assign v_retire  = d_retire[TREE-1];
      assign v_parity  = d_parity[TREE-1];
      assign v_a       = d_a[(TREE-1)*8+:8];

      logic [31:0] v_acc;
      logic v_bad;
      always_ff @(posedge clk) begin
        if (!rst_n) vector_check_valid <= 1'b0;
        else vector_check_valid <= en && v_retire;
        if (en) begin
          if (v_retire) begin
            vector_check     <= v_acc;
            vector_check_bad <= v_bad;
          end
          if (v_valid) begin
            v_acc <= stored((v_restart ? 32'd0 : v_acc) +
                            $unsigned(32'($signed(v_a)) * 32'($signed(w_lane_sum))),
                            d_fault[TREE-1] && fault_in_row[ROWS] && fault_in_col[0]);
            v_bad <= (v_restart ? 1'b0 : v_bad) | v_parity;
          end
        end
      end
    end else begin : g_plain
      // The last row's w registers, the sums and what leaves each row go unused.
      logic [ROWS*8-1:0] leaving;
      for (r = 0; r < ROWS; r++) begin : g_leaving
        assign leaving[r*8+:8] = a_leaving[r];
      end
      logic unused;
      assign unused = ^{w_row[ROWS-1], a_sum, w_sum, leaving, fault_in_row[ROWS],
                        fault_in_col[COLS], a_parity_error};
      assign vector_check_valid = 1'b0;
      assign vector_check       = '0;
      assign vector_check_bad   = 1'b0;
    end
  endgenerate
endmodule
