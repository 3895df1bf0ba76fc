// ROWS x COLS output-stationary systolic array with its input skew.
//
// Each cycle (when `en`) one beat enters: column k of the A tile (ROWS int8, row r at
// bits [8r +: 8]) with its tags, and column k of the W tile (COLS int8). Row r of A
// is delayed r cycles and column c of W c cycles, so PE(r,c) sees A[r][k] and W[c][k]
// together, r + c cycles after the beat entered. When PE(r, COLS-1) retires a tile,
// all of row r has: `row_retire[r]` goes high for that cycle and the row's results
// can be read from the next cycle on: `read_data` is row `read_row` (PE(r,c) at
// [32c +: 32]).
//
// Vector mode (GEMV, M = 1): no operand moves between PEs. Each beat broadcasts one
// A byte (`a_broadcast`) and its tags to every PE, and PE(r,c) takes its own W byte
// from `w_lanes` (lane r*COLS + c), so the array does ROWS*COLS useful MACs per
// cycle with no reuse of W. All rows retire in the same cycle.
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
  // Skewed operands at the array's west (rows) and north (columns) edges.
  logic [ROWS-1:0] west_valid, west_first, west_flush;
  logic [ROWS*8-1:0] west_a;
  logic [COLS*8-1:0] north_w;

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r++) begin : g_row_skew
      if (r == 0) begin : g_direct
        assign west_valid[0] = beat_valid;
        assign west_first[0] = beat_first;
        assign west_flush[0] = beat_flush;
        assign west_a[7:0]   = a_column[7:0];
      end else begin : g_delay
        logic [r-1:0] valid_q, first_q, flush_q;
        logic [r*8-1:0] a_q;
        always_ff @(posedge clk) begin
          if (!rst_n) begin
            valid_q <= '0;
            first_q <= '0;
            flush_q <= '0;
            a_q     <= '0;
          end else if (en) begin
            valid_q[0] <= beat_valid;
            first_q[0] <= beat_first;
            flush_q[0] <= beat_flush;
            a_q[7:0]   <= a_column[r*8+:8];
            for (int s = 1; s < r; s++) begin
              valid_q[s]     <= valid_q[s-1];
              first_q[s]     <= first_q[s-1];
              flush_q[s]     <= flush_q[s-1];
              a_q[s*8+:8]    <= a_q[(s-1)*8+:8];
            end
          end
        end
        assign west_valid[r]  = valid_q[r-1];
        assign west_first[r]  = first_q[r-1];
        assign west_flush[r]  = flush_q[r-1];
        assign west_a[r*8+:8] = a_q[(r-1)*8+:8];
      end
    end

    for (c = 0; c < COLS; c++) begin : g_col_skew
      if (c == 0) begin : g_direct
        assign north_w[7:0] = w_column[7:0];
      end else begin : g_delay
        logic [c*8-1:0] w_q;
        always_ff @(posedge clk) begin
          if (!rst_n) begin
            w_q <= '0;
          end else if (en) begin
            w_q[7:0] <= w_column[c*8+:8];
            for (int s = 1; s < c; s++) w_q[s*8+:8] <= w_q[(s-1)*8+:8];
          end
        end
        assign north_w[c*8+:8] = w_q[(c-1)*8+:8];
      end
    end
  endgenerate

  // Wires between PEs (unpacked, one element per link: Verilator then schedules each
  // link on its own instead of iterating over one wide vector).
  logic       h_valid[ROWS][COLS+1];
  logic       h_first[ROWS][COLS+1];
  logic       h_flush[ROWS][COLS+1];
  logic [7:0] h_a    [ROWS][COLS+1];
  logic [7:0] v_w    [ROWS+1][COLS];
  logic       retire [ROWS][COLS];
  logic [31:0] result[ROWS][COLS];

  generate
    for (r = 0; r < ROWS; r++) begin : g_west
      assign h_valid[r][0] = west_valid[r];
      assign h_first[r][0] = west_first[r];
      assign h_flush[r][0] = west_flush[r];
      assign h_a[r][0]     = west_a[r*8+:8];
      assign row_retire[r] = retire[r][COLS-1];
    end
    for (c = 0; c < COLS; c++) begin : g_north
      assign v_w[0][c] = north_w[c*8+:8];
    end
    for (r = 0; r < ROWS; r++) begin : g_pe_row
      for (c = 0; c < COLS; c++) begin : g_pe_col
        logic pe_valid, pe_first, pe_flush;
        logic [7:0] pe_a, pe_w;
        assign pe_valid = vector_mode ? beat_valid : h_valid[r][c];
        assign pe_first = vector_mode ? beat_first : h_first[r][c];
        assign pe_flush = vector_mode ? beat_flush : h_flush[r][c];
        assign pe_a     = vector_mode ? a_broadcast : h_a[r][c];
        assign pe_w     = vector_mode ? w_lanes[(r*COLS+c)*8+:8] : v_w[r][c];
        tessera_pe pe (
            .clk      (clk),
            .rst_n    (rst_n),
            .en       (en),
            .valid_in (pe_valid),
            .first_in (pe_first),
            .flush_in (pe_flush),
            .a_in     (pe_a),
            .w_in     (pe_w),
            .valid_out(h_valid[r][c+1]),
            .first_out(h_first[r][c+1]),
            .flush_out(h_flush[r][c+1]),
            .a_out    (h_a[r][c+1]),
            .w_out    (v_w[r+1][c]),
            .result   (result[r][c]),
            .retire   (retire[r][c])
        );
      end
    end
  endgenerate

  generate
    for (c = 0; c < COLS; c++) begin : g_read
      assign read_data[c*32+:32] = result[read_row][c];
    end
  endgenerate

  // The east edge's outputs and the south edge's w leave the array unused.
  logic unused;
  always_comb begin
    unused = 1'b0;
    for (int i = 0; i < ROWS; i++) begin
      unused = unused ^ h_valid[i][COLS] ^ h_first[i][COLS] ^ h_flush[i][COLS] ^ (^h_a[i][COLS]);
      for (int j = 0; j < COLS - 1; j++) unused = unused ^ retire[i][j];
    end
    for (int j = 0; j < COLS; j++) unused = unused ^ (^v_w[ROWS][j]);
  end
endmodule
