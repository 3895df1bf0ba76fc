// int8 GEMM engine: operand buffers, a tile sequencer, the systolic array, and an
// output FIFO, with valid/ready (AXI4-Stream-like) streams on every port.
//
// A job computes C = A * W^T tile by tile. The driver packs operands in tile order:
// A word (mt, k) is column k of row tile mt (ROWS int8, row r at [8r +: 8], rows past
// M zero), at buffer address mt*k_len + k; W likewise with COLS. The engine loads
// m_tiles*k_len A words and n_tiles*k_len W words (both streams at once, or none
// when `preloaded`), then runs the tiles in order (mt outer, nt inner), one K step
// per cycle. Tiles follow each other without a gap: a tile's first beat retires the
// previous tile's sums. The result leaves as one beat per tile row (COLS int32, ROWS
// rows per tile, rows past M included as zeros). A full output FIFO stalls the whole
// pipeline (`en`), so back-pressure is lossless.
//
// Vector mode (`vector_job` at start; GEMV, one row of A): A is K bytes packed into
// ceil(K/ROWS) words and loaded into the A buffer; W is not buffered but streams in
// on `v_*`, one beat per K step holding column k of ROWS consecutive W row tiles
// (tile t*ROWS + r in lanes [r*COLS, (r+1)*COLS)), so each PE owns one output. A
// vector tile covers ROWS row tiles of W (ROWS*COLS outputs); its results leave as
// ROWS beats, beat r holding outputs of W row tile t*ROWS + r: C in order. K must be
// at least ROWS (a tile's results drain while the next one accumulates).
//
// With CHECKSUMS the engine checks every output tile of a matrix job (Huang-Abraham,
// docs/reliability.md): it sums each operand word as it enters the buffers (kept
// beside the word), the array's checksum row and column multiply those sums, and a
// checker behind the output FIFO adds up each row and column of the results and
// compares. The checksum row travels through the FIFO as one more beat per tile that
// the checker takes and the result stream never shows. A tile that disagrees counts
// in `checksum_fails` and the first one (job order) is `checksum_tile`; the results
// are delivered all the same. A vector job's tiles are checked too: the array's vector
// checksum PE sums a[k] times each beat's W lane sum, the checker sums the tile's ROWS
// result beats, and a tile fails when the two differ or an A byte it used failed the
// parity bit kept beside each A-buffer byte (written at load, checked at every read).
// The vector checksum runs clog2(ROWS*COLS) cycles behind the array (its adder tree),
// so a vector job ends max(2, clog2(ROWS*COLS) - ROWS + 1) cycles later than unchecked.
//
// Fault injection (simulation only, not in synthesis; docs/reliability.md): the
// fault_* inputs name one fault for the coming jobs, as hls::EngineFault does for
// the C model: site (0 none, 1 accumulator, 2 operand buffer, 3 result FIFO), kind
// (0 flip, 1 stuck at 0, 2 stuck at 1), bit, and when (output tile in job order and
// K step) and where (PE or result row and column; operand buffer, word and lane).
module tessera_gemm_engine #(
    parameter int ROWS       = 16,
    parameter int COLS       = 16,
    parameter int A_DEPTH    = 4096,  // A buffer words (ROWS bytes each)
    parameter int W_DEPTH    = 4096,  // W buffer words (COLS bytes each)
    parameter int FIFO_DEPTH = 4,
    parameter int CHECKSUMS  = 0      // 1: check every matrix tile
) (
    input  logic                 clk,
    input  logic                 rst_n,
    // Job control.
    input  logic                 start,
    input  logic                 preloaded,
    input  logic                 vector_job,
    input  logic [         15:0] m_tiles,
    input  logic [         15:0] n_tiles,
    input  logic [         19:0] k_len,
    output logic                 busy,
    output logic                 done,       // one cycle at the end of a job
    output logic                 error,      // the last job's sizes did not fit
    // Operand streams.
    input  logic                 a_valid,
    output logic                 a_ready,
    input  logic [   ROWS*8-1:0] a_data,
    input  logic                 w_valid,
    output logic                 w_ready,
    input  logic [   COLS*8-1:0] w_data,
    // Vector-mode W stream: one K step of ROWS row tiles per beat.
    input  logic                 v_valid,
    output logic                 v_ready,
    input  logic [ROWS*COLS*8-1:0] v_data,
    // Result stream: one tile row per beat.
    output logic                 c_valid,
    input  logic                 c_ready,
    output logic [  COLS*32-1:0] c_data,
    // Counters of the last job (held until the next start).
    output logic [         63:0] cycles,          // start to done
    output logic [         63:0] compute_cycles,  // first beat to done
    output logic [         63:0] stall_cycles,    // compute cycles lost to back-pressure
    output logic [         63:0] load_wait_cycles, // load cycles with a stream not valid
    // Checksums of the last job (CHECKSUMS; held until the next start).
    output logic [         31:0] checksum_fails,  // output tiles that failed
    output logic [         31:0] checksum_tile    // the first of them, in job order
`ifndef SYNTHESIS
    ,
    input  logic [          1:0] fault_site,
    input  logic [          1:0] fault_kind,
    input  logic [          4:0] fault_bit,
    input  logic [         31:0] fault_tile,
    input  logic [         20:0] fault_step,
    input  logic [         15:0] fault_row,
    input  logic [         15:0] fault_col,
    input  logic                 fault_w_buffer,  // operand buffer: 0 A, 1 W
    input  logic [         31:0] fault_word,
    input  logic [         15:0] fault_lane
`endif
);
  localparam int AW = $clog2(A_DEPTH);
  localparam int WW = $clog2(W_DEPTH);
  localparam int FW = $clog2(FIFO_DEPTH + 1);
  localparam int CS = CHECKSUMS != 0 ? 1 : 0;
  localparam int READ_ROWS = ROWS + CS;  // FIFO beats per tile: its rows, the checksum row
  localparam int A_SUM_BITS = 8 + $clog2(ROWS);
  localparam int W_SUM_BITS = 8 + $clog2(COLS);
  localparam int BEAT_BITS = COLS * 32 + CS * 33;  // results, row checksum, "checksum row"
  localparam int MIN_PERIOD = COLS + 1 + CS;
  localparam int TREE = $clog2(ROWS * COLS);  // the vector checksum's adder levels
  localparam logic [35:0] ROWS36 = 36'(ROWS);  // a row's results are read before they retire again

  typedef enum logic [1:0] {
    IDLE,
    LOAD,
    COMPUTE,
    DRAIN
  } state_t;
  state_t state;

  // ---- Job registers -----------------------------------------------------------
  logic [15:0] m_tiles_q, n_tiles_q;
  logic [19:0] k_len_q;
  logic vector_q;
  logic [35:0] a_words, w_words, vector_a_words;
  assign a_words = 36'(m_tiles) * 36'(k_len);
  assign w_words = 36'(n_tiles) * 36'(k_len);
  assign vector_a_words = (36'(k_len) + ROWS36 - 36'd1) / ROWS36;
  logic [15:0] vector_tiles;  // W row tiles in groups of ROWS
  assign vector_tiles = 16'((32'(n_tiles) + 32'(ROWS - 1)) / 32'(ROWS));
  logic sizes_fit;
  assign sizes_fit = vector_job ? n_tiles != 0 && 32'(k_len) >= 32'(ROWS) &&
                              vector_a_words <= 36'(A_DEPTH)
                            : m_tiles != 0 && n_tiles != 0 && k_len != 0 &&
                              a_words <= 36'(A_DEPTH) && w_words <= 36'(W_DEPTH);

  // ---- Operand buffers -----------------------------------------------------------
  logic [ROWS*8-1:0] a_buf[A_DEPTH];
  logic [COLS*8-1:0] w_buf[W_DEPTH];
  logic [35:0] a_loaded, w_loaded, a_total, w_total;
  assign a_ready = state == LOAD && a_loaded < a_total;
  assign w_ready = state == LOAD && w_loaded < w_total;

  always_ff @(posedge clk) begin
    if (a_valid && a_ready) a_buf[a_loaded[AW-1:0]] <= a_data;
    if (w_valid && w_ready) w_buf[w_loaded[WW-1:0]] <= w_data;
  end

  // A word's sum as it enters its buffer (CHECKSUMS), for the checksum PEs.
  function automatic logic [A_SUM_BITS-1:0] a_word_sum(input logic [ROWS*8-1:0] word);
    a_word_sum = '0;
    for (int i = 0; i < ROWS; i++) begin
      a_word_sum = a_word_sum + A_SUM_BITS'($signed(word[i*8+:8]));
    end
  endfunction
  function automatic logic [W_SUM_BITS-1:0] w_word_sum(input logic [COLS*8-1:0] word);
    w_word_sum = '0;
    for (int i = 0; i < COLS; i++) begin
      w_word_sum = w_word_sum + W_SUM_BITS'($signed(word[i*8+:8]));
    end
  endfunction

  // ---- Output FIFO and pipeline enable -----------------------------------------------
  logic [BEAT_BITS-1:0] fifo[FIFO_DEPTH];
  logic [FW-1:0] fifo_count;
  logic [$clog2(FIFO_DEPTH)-1:0] fifo_head, fifo_tail;
  logic push, pop, en;
  logic [READ_ROWS-1:0] row_retire, retire_q;
  logic [$clog2(READ_ROWS)-1:0] read_row;
  logic [COLS*32+CS*32-1:0] retired_row;
  logic [BEAT_BITS-1:0] pushed_beat, head_beat;
  logic head_is_checksums;  // the FIFO's head is a checksum row, for the checker alone

  // Vector mode: every row retires at once; row 0 goes out with the retire, the
  // others follow one per cycle while the FIFO has room.
  logic [$clog2(ROWS+1)-1:0] drain_left;
  logic [$clog2(ROWS)-1:0] drain_row;
  logic drain_push;
  assign drain_push = drain_left != 0 && 32'(fifo_count) < 32'(FIFO_DEPTH);

  assign pop     = (c_valid && c_ready) || (fifo_count != 0 && head_is_checksums);
  assign push    = vector_q ? retire_q[0] || drain_push : |retire_q;
  assign c_valid = fifo_count != 0 && !head_is_checksums;
  assign head_beat = fifo[fifo_head];
  assign c_data  = head_beat[COLS*32-1:0];
  // A retire seen now is pushed next cycle: keep room for it and for one in flight.
  assign en = (32'(fifo_count) + (push ? 32'd1 : 32'd0)) <= 32'(FIFO_DEPTH - 2);

  always_comb begin
    read_row = '0;
    if (vector_q) begin
      read_row = retire_q[0] ? '0 : $clog2(READ_ROWS)'(drain_row);
    end else begin
      for (int r = 0; r < READ_ROWS; r++) begin
        if (retire_q[r]) read_row = $clog2(READ_ROWS)'(r);
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      fifo_count <= '0;
      fifo_head  <= '0;
      fifo_tail  <= '0;
      retire_q   <= '0;
      drain_left <= '0;
      drain_row  <= '0;
    end else begin
      retire_q <= row_retire;
      if (vector_q && retire_q[0]) begin
        drain_left <= $clog2(ROWS+1)'(ROWS - 1);
        drain_row  <= $clog2(ROWS)'(1 % ROWS);
      end else if (drain_push) begin
        drain_left <= drain_left - 1'b1;
        drain_row  <= drain_row + 1'b1;
      end
      if (push) begin
        fifo[fifo_tail] <= pushed_beat;
        fifo_tail <= fifo_tail == $clog2(FIFO_DEPTH)'(FIFO_DEPTH - 1) ? '0 : fifo_tail + 1'b1;
      end
      if (pop) fifo_head <= fifo_head == $clog2(FIFO_DEPTH)'(FIFO_DEPTH - 1) ? '0 : fifo_head + 1'b1;
      fifo_count <= fifo_count + FW'(push) - FW'(pop);
    end
  end

  // ---- Fault injection (simulation only) ----------------------------------------------
`ifndef SYNTHESIS
  logic [31:0] issue_tile;  // the output tile the sequencer issues, in job order
  logic operand_struck, issue_fault, s1_fault;
  logic [31:0] fault_mask, fault_and, fault_or, fault_xor;
  assign fault_mask = 32'd1 << fault_bit;
  assign fault_and  = fault_kind == 2'd1 ? ~fault_mask : '1;
  assign fault_or   = fault_kind == 2'd2 ? fault_mask : '0;
  assign fault_xor  = fault_kind == 2'd0 ? fault_mask : '0;
  // Bit fault_bit of byte fault_lane of an operand word.
  function automatic logic [ROWS*8-1:0] struck_a(input logic [ROWS*8-1:0] word);
    struck_a = word;
    for (int i = 0; i < 8; i++) begin
      struck_a[32'(fault_lane)*8+i] = ((word[32'(fault_lane)*8+i] & fault_and[i]) | fault_or[i]) ^
                                      fault_xor[i];
    end
  endfunction
  function automatic logic [COLS*8-1:0] struck_w(input logic [COLS*8-1:0] word);
    struck_w = word;
    for (int i = 0; i < 8; i++) begin
      struck_w[32'(fault_lane)*8+i] = ((word[32'(fault_lane)*8+i] & fault_and[i]) | fault_or[i]) ^
                                      fault_xor[i];
    end
  endfunction

  // The result FIFO's word (fault_row, fault_col) of output tile fault_tile.
  logic [31:0] push_tile;
  logic [15:0] push_row, last_push_row;
  assign last_push_row = 16'(vector_q ? ROWS - 1 : READ_ROWS - 1);
  always_ff @(posedge clk) begin
    if (state == IDLE) begin
      push_tile <= '0;
      push_row  <= '0;
    end else if (push) begin
      push_row <= push_row == last_push_row ? '0 : push_row + 1'b1;
      if (push_row == last_push_row) push_tile <= push_tile + 1;
    end
  end
  always_comb begin
    pushed_beat = BEAT_BITS'(retired_row);
    if (CS == 1) pushed_beat[BEAT_BITS-1] = !vector_q && 32'(read_row) == ROWS;
    if (fault_site == 2'd3 && push_tile == fault_tile && push_row == fault_row &&
        32'(fault_row) < ROWS && 32'(fault_col) < COLS) begin
      pushed_beat[32'(fault_col)*32+:32] =
          ((pushed_beat[32'(fault_col)*32+:32] & fault_and) | fault_or) ^ fault_xor;
    end
  end
`else
  always_comb begin
    pushed_beat = BEAT_BITS'(retired_row);
    if (CS == 1) pushed_beat[BEAT_BITS-1] = !vector_q && 32'(read_row) == ROWS;
  end
`endif

  // ---- Tile sequencer (stage 0: addresses and tags; stage 1: buffer read) ----------
  logic [15:0] mt, nt;  // vector mode: nt counts vector tiles
  logic [19:0] kk;
  logic [20:0] period_left;  // beats and bubbles left in the current tile
  logic [35:0] a_base, w_base;
  logic issue_valid, issue_first, issue_flush, sequencing;
  logic [35:0] rows_expected, rows_emitted;

  logic s1_valid, s1_first, s1_flush, s1_operands;
  logic [ROWS*8-1:0] s1_a, a_read;
  logic [COLS*8-1:0] s1_w, w_read;
  logic [ROWS*COLS*8-1:0] s1_v, v_read;
  logic [$clog2(ROWS)-1:0] s1_byte;
  logic [7:0] s1_a_byte;
  logic vector_beat;

  assign v_ready     = state == COMPUTE && vector_q && sequencing && en;
  assign vector_beat = v_valid && v_ready;
  logic [AW-1:0] a_read_addr;
  logic [WW-1:0] w_read_addr;

  always_comb begin
    issue_valid = 1'b0;
    issue_first = 1'b0;
    issue_flush = 1'b0;
    if (state == COMPUTE && sequencing) begin
      if (vector_q ? v_valid : kk < k_len_q) begin
        issue_valid = 1'b1;
        issue_first = kk == 0;
      end
    end else if (state == COMPUTE) begin
      issue_valid = 1'b1;  // the closing flush beat
      issue_flush = 1'b1;
    end
  end

  assign a_read_addr = vector_q ? AW'(kk / 20'(ROWS)) : AW'(a_base + 36'(kk));
  assign w_read_addr = WW'(w_base + 36'(kk));

  // Synchronous buffer reads without reset, so the buffers map to block RAM.
  always_ff @(posedge clk) begin
    if (en) begin
      a_read  <= a_buf[a_read_addr];
      w_read  <= w_buf[w_read_addr];
      v_read  <= v_data;
      s1_byte <= $clog2(ROWS)'(kk % 20'(ROWS));
`ifndef SYNTHESIS
      // A struck buffer byte reads wrong from its tile and step on.
      if (operand_struck && !fault_w_buffer && 32'(a_read_addr) == fault_word) begin
        a_read <= struck_a(a_buf[a_read_addr]);
      end
      if (operand_struck && fault_w_buffer && 32'(w_read_addr) == fault_word) begin
        w_read <= struck_w(w_buf[w_read_addr]);
      end
`endif
    end
  end

  // The operand sums beside the buffers (CHECKSUMS), read with their words, and a
  // parity bit per A byte, which checks the byte a vector beat broadcasts.
  logic [A_SUM_BITS-1:0] a_sum_read, s1_a_sum;
  logic [W_SUM_BITS-1:0] w_sum_read, s1_w_sum;
  logic s1_parity_error;
  generate
    if (CS == 1) begin : g_operand_sums
      logic [A_SUM_BITS-1:0] a_sum_buf[A_DEPTH];
      logic [W_SUM_BITS-1:0] w_sum_buf[W_DEPTH];
      logic [ROWS-1:0] a_parity_buf[A_DEPTH];
      logic [ROWS-1:0] a_parity_read, a_parity;
      always_comb begin
        for (int i = 0; i < ROWS; i++) a_parity[i] = ^a_data[i*8+:8];
      end
      always_ff @(posedge clk) begin
        if (a_valid && a_ready) begin
          a_sum_buf[a_loaded[AW-1:0]]    <= a_word_sum(a_data);
          a_parity_buf[a_loaded[AW-1:0]] <= a_parity;
        end
        if (w_valid && w_ready) w_sum_buf[w_loaded[WW-1:0]] <= w_word_sum(w_data);
        if (en) begin
          a_sum_read    <= a_sum_buf[a_read_addr];
          w_sum_read    <= w_sum_buf[w_read_addr];
          a_parity_read <= a_parity_buf[a_read_addr];
        end
      end
      assign s1_parity_error = vector_q && s1_operands && (^s1_a_byte != a_parity_read[s1_byte]);
    end else begin : g_no_sums
      assign a_sum_read      = '0;
      assign w_sum_read      = '0;
      assign s1_parity_error = 1'b0;
    end
  endgenerate
  assign s1_a_sum = s1_operands ? a_sum_read : '0;
  assign s1_w_sum = s1_operands ? w_sum_read : '0;

`ifndef SYNTHESIS
  always_ff @(posedge clk) begin
    if (state == LOAD) issue_tile <= '0;
    else if (vector_q ? vector_beat && 32'(kk) + 1 == 32'(k_len_q)
                      : state == COMPUTE && en && sequencing && period_left <= 1) begin
      issue_tile <= issue_tile + 1;
    end
  end
  assign operand_struck = fault_site == 2'd2 &&
                          (issue_tile > fault_tile ||
                           (issue_tile == fault_tile && 21'(kk) >= fault_step));
  // The beat of MAC number fault_step (flip) or of every MAC from it on (stuck).
  assign issue_fault = fault_site == 2'd1 && issue_valid && !issue_flush &&
                       issue_tile == fault_tile &&
                       (fault_kind == 2'd0 ? 21'(kk) + 21'd1 == fault_step
                                           : 21'(kk) + 21'd1 >= fault_step);
`endif

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s1_valid    <= 1'b0;
      s1_first    <= 1'b0;
      s1_flush    <= 1'b0;
      s1_operands <= 1'b0;
    end else if (en) begin
      s1_valid    <= issue_valid;
      s1_first    <= issue_first;
      s1_flush    <= issue_flush;
      s1_operands <= issue_valid && !issue_flush;
    end
  end
`ifndef SYNTHESIS
  always_ff @(posedge clk) begin
    if (!rst_n) s1_fault <= 1'b0;
    else if (en) s1_fault <= issue_fault;
  end
`endif
  assign s1_a      = s1_operands ? a_read : '0;
  assign s1_w      = s1_operands ? w_read : '0;
  assign s1_v      = s1_operands ? v_read : '0;
  assign s1_a_byte = s1_operands ? a_read[32'(s1_byte)*8+:8] : '0;

  logic vector_check_valid, vector_check_bad;
  logic [31:0] vector_check;
  tessera_systolic_array #(
      .ROWS     (ROWS),
      .COLS     (COLS),
      .CHECKSUMS(CS)
  ) array (
      .clk       (clk),
      .rst_n     (rst_n),
      .en        (en),
      .beat_valid(s1_valid),
      .beat_first(s1_first),
      .beat_flush(s1_flush),
      .a_column  (s1_a),
      .w_column  (s1_w),
      .a_sum     (s1_a_sum),
      .w_sum     (s1_w_sum),
      .vector_mode(vector_q),
      .a_broadcast(s1_a_byte),
      .w_lanes   (s1_v),
      .a_parity_error(s1_parity_error),
      .read_row  (read_row),
      .read_data (retired_row),
      .row_retire(row_retire),
      .vector_check_valid(vector_check_valid),
      .vector_check(vector_check),
      .vector_check_bad(vector_check_bad)
`ifndef SYNTHESIS
      ,
      .beat_fault(s1_fault),
      .fault_row (fault_row),
      .fault_col (fault_col),
      .fault_and (fault_and),
      .fault_or  (fault_or),
      .fault_xor (fault_xor)
`endif
  );

  // ---- Checker (CHECKSUMS): one stage behind the FIFO's head ---------------------------
  logic checks_finished;  // the job's last tile is checked this cycle
  generate
    if (CS == 1) begin : g_checker
      logic chk_valid, chk_checksums;
      logic [COLS*32+31:0] chk_beat;  // results and row checksum, or the column checksums
      logic [31:0] col_sum[COLS];
      logic [31:0] row_total, tiles_checked;
      logic tile_bad, cols_agree, tile_done, tile_failed;
      assign head_is_checksums = head_beat[BEAT_BITS-1];
      always_comb begin
        row_total  = '0;
        cols_agree = 1'b1;
        for (int c = 0; c < COLS; c++) begin
          row_total  = row_total + chk_beat[c*32+:32];
          cols_agree = cols_agree && col_sum[c] == chk_beat[c*32+:32];
        end
      end

      // A vector tile's sum of results and its checksum from the array arrive in
      // either order (stalls hold the array but not the result stream), so each waits
      // in a ring of slots until the other is there. Bounds: results can run ahead by
      // the tiles the FIFO holds, the checksum by its adder tree's depth.
      localparam int SLOT_BITS = $clog2(FIFO_DEPTH / ROWS + (TREE + ROWS - 1) / ROWS + 3);
      localparam int SLOTS = 1 << SLOT_BITS;
      logic [32:0] check_slot[SLOTS];  // {an A byte failed its parity, checksum}
      logic [31:0] sum_slot[SLOTS];
      logic [SLOT_BITS:0] checks_in, checks_out, sums_in, sums_out;  // a wrap bit above
      logic [32:0] check_head;
      logic [31:0] vector_total, vector_total_next, sum_head;
      logic [$clog2(ROWS+1)-1:0] vector_beats;  // of the tile, summed so far
      logic vector_sum_done, compare;
      assign vector_total_next = (vector_beats == 0 ? 32'd0 : vector_total) + row_total;
      assign vector_sum_done   = chk_valid && vector_q && 32'(vector_beats) == ROWS - 1;
      assign compare           = checks_in != checks_out && sums_in != sums_out;
      assign check_head        = check_slot[checks_out[SLOT_BITS-1:0]];
      assign sum_head          = sum_slot[sums_out[SLOT_BITS-1:0]];
      always_ff @(posedge clk) begin
        if (vector_check_valid) begin
          check_slot[checks_in[SLOT_BITS-1:0]] <= {vector_check_bad, vector_check};
        end
        if (vector_sum_done) sum_slot[sums_in[SLOT_BITS-1:0]] <= vector_total_next;
      end

      assign tile_done = vector_q ? compare : chk_valid && chk_checksums;
      assign tile_failed = vector_q ? check_head[32] || check_head[31:0] != sum_head
                                    : tile_bad || !cols_agree;
      // The last tile: a vector job's count, or a matrix job's last beat.
      assign checks_finished = tile_done && (vector_q ? tiles_checked + 1 == 32'(n_tiles_q)
                                                      : rows_emitted == rows_expected);
      always_ff @(posedge clk) begin
        if (!rst_n || (state == IDLE && start)) begin
          chk_valid      <= 1'b0;
          tile_bad       <= 1'b0;
          tiles_checked  <= '0;
          checksum_fails <= '0;
          checksum_tile  <= '0;
          checks_in      <= '0;
          checks_out     <= '0;
          sums_in        <= '0;
          sums_out       <= '0;
          vector_beats   <= '0;
          for (int c = 0; c < COLS; c++) col_sum[c] <= '0;
        end else begin
          chk_valid     <= pop;
          chk_checksums <= head_is_checksums;
          chk_beat      <= head_beat[COLS*32+31:0];
          if (chk_valid && vector_q) begin
            vector_total <= vector_total_next;
            vector_beats <= vector_sum_done ? '0 : vector_beats + 1'b1;
          end else if (chk_valid && !chk_checksums) begin
            for (int c = 0; c < COLS; c++) col_sum[c] <= col_sum[c] + chk_beat[c*32+:32];
            if (row_total != chk_beat[COLS*32+:32]) tile_bad <= 1'b1;
          end else if (chk_valid) begin
            for (int c = 0; c < COLS; c++) col_sum[c] <= '0;
            tile_bad <= 1'b0;
          end
          if (vector_check_valid) checks_in <= checks_in + 1'b1;
          if (vector_sum_done) sums_in <= sums_in + 1'b1;
          if (compare) begin
            checks_out <= checks_out + 1'b1;
            sums_out   <= sums_out + 1'b1;
          end
          if (tile_done) begin
            tiles_checked <= tiles_checked + 1;
            if (tile_failed) begin
              checksum_fails <= checksum_fails + 1;
              if (checksum_fails == 0) checksum_tile <= tiles_checked;
            end
          end
        end
      end
`ifndef SYNTHESIS
      c_vector_checksum_first: cover property (@(posedge clk) rst_n && checks_in != checks_out &&
                                               sums_in == sums_out);
      c_vector_results_first: cover property (@(posedge clk) rst_n && sums_in != sums_out &&
                                              checks_in == checks_out);
      c_vector_tile_failed: cover property (@(posedge clk) rst_n && vector_q && tile_done &&
                                            tile_failed);
`endif
    end else begin : g_no_checker
      logic unused;
      assign unused = ^{vector_check_valid, vector_check, vector_check_bad};
      assign head_is_checksums = 1'b0;
      assign checksum_fails    = '0;
      assign checksum_tile     = '0;
      assign checks_finished   = 1'b0;
    end
  endgenerate

  // ---- Control ---------------------------------------------------------------------
  logic [20:0] period;
  assign period = 21'(k_len_q) > 21'(MIN_PERIOD) ? 21'(k_len_q) : 21'(MIN_PERIOD);
  assign busy   = state != IDLE;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state            <= IDLE;
      done             <= 1'b0;
      error            <= 1'b0;
      m_tiles_q        <= '0;
      n_tiles_q        <= '0;
      k_len_q          <= '0;
      vector_q         <= 1'b0;
      a_loaded         <= '0;
      w_loaded         <= '0;
      a_total          <= '0;
      w_total          <= '0;
      mt               <= '0;
      nt               <= '0;
      kk               <= '0;
      period_left      <= '0;
      a_base           <= '0;
      w_base           <= '0;
      sequencing       <= 1'b0;
      rows_expected    <= '0;
      rows_emitted     <= '0;
      cycles           <= '0;
      compute_cycles   <= '0;
      stall_cycles     <= '0;
      load_wait_cycles <= '0;
    end else begin
      done <= 1'b0;
      if (state != IDLE) cycles <= cycles + 1;
      if (state == COMPUTE || state == DRAIN) begin
        compute_cycles <= compute_cycles + 1;
        if (!en) stall_cycles <= stall_cycles + 1;
      end
      if (pop) rows_emitted <= rows_emitted + 1;
      case (state)
        IDLE: begin
          if (start) begin
            cycles           <= 64'd1;
            compute_cycles   <= '0;
            stall_cycles     <= '0;
            load_wait_cycles <= '0;
            if (!sizes_fit) begin
              error <= 1'b1;
              done  <= 1'b1;
            end else begin
              error         <= 1'b0;
              m_tiles_q     <= m_tiles;
              n_tiles_q     <= n_tiles;
              k_len_q       <= k_len;
              vector_q      <= vector_job;
              a_loaded      <= '0;
              w_loaded      <= '0;
              a_total       <= preloaded ? '0 : vector_job ? vector_a_words : a_words;
              w_total       <= preloaded || vector_job ? '0 : w_words;
              rows_expected <= vector_job ? 36'(vector_tiles) * 36'(ROWS)
                                      : 36'(m_tiles) * 36'(n_tiles) * 36'(READ_ROWS);
              if (vector_job) n_tiles_q <= vector_tiles;
              rows_emitted  <= '0;
              state         <= LOAD;
            end
          end
        end
        LOAD: begin
          if (a_valid && a_ready) a_loaded <= a_loaded + 1;
          if (w_valid && w_ready) w_loaded <= w_loaded + 1;
          if ((a_ready && !a_valid) || (w_ready && !w_valid)) load_wait_cycles <= load_wait_cycles + 1;
          if (a_loaded + 36'(a_valid && a_ready) == a_total &&
              w_loaded + 36'(w_valid && w_ready) == w_total) begin
            state       <= COMPUTE;
            sequencing  <= 1'b1;
            mt          <= '0;
            nt          <= '0;
            kk          <= '0;
            a_base      <= '0;
            w_base      <= '0;
            period_left <= period;
          end
        end
        COMPUTE: begin
          if (en) begin
            if (!sequencing) begin
              state <= DRAIN;  // the flush beat went out this cycle
            end else if (vector_q) begin
              if (vector_beat) begin
                if (32'(kk) + 1 < 32'(k_len_q)) begin
                  kk <= kk + 1;
                end else begin
                  kk <= '0;
                  if (nt + 1 < n_tiles_q) nt <= nt + 1;
                  else sequencing <= 1'b0;
                end
              end
            end else if (period_left > 1) begin
              kk          <= kk + 1;
              period_left <= period_left - 1;
            end else begin
              kk          <= '0;
              period_left <= period;
              if (nt + 1 < n_tiles_q) begin
                nt     <= nt + 1;
                w_base <= w_base + 36'(k_len_q);
              end else begin
                nt     <= '0;
                w_base <= '0;
                if (mt + 1 < m_tiles_q) begin
                  mt     <= mt + 1;
                  a_base <= a_base + 36'(k_len_q);
                end else begin
                  sequencing <= 1'b0;
                end
              end
            end
          end
        end
        DRAIN: begin
          // With CHECKSUMS the job ends when the checker has checked its last tile.
          if (CS == 1 ? checks_finished : rows_emitted + 36'(pop) == rows_expected) begin
            state <= IDLE;
            done  <= 1'b1;
          end
        end
        default: state <= IDLE;
      endcase
    end
  end

  // ---- Cover points (simulation only; scripts/coverage reports every one) ----------
`ifndef SYNTHESIS
  c_sizes_refused: cover property (@(posedge clk) rst_n && state == IDLE && start && !sizes_fit);
  c_vector_job: cover property (@(posedge clk) rst_n && state == IDLE && start && sizes_fit &&
                                vector_job);
  c_preloaded_job: cover property (@(posedge clk) rst_n && state == IDLE && start && sizes_fit &&
                                   preloaded && !vector_job);
  c_many_tiles: cover property (@(posedge clk) rst_n && state == IDLE && start && sizes_fit &&
                                !vector_job && m_tiles > 1 && n_tiles > 1);
  c_short_k: cover property (@(posedge clk) rst_n && state == IDLE && start && sizes_fit &&
                             !vector_job && 32'(k_len) < MIN_PERIOD);
  c_full_buffers: cover property (@(posedge clk) rst_n && state == IDLE && start && sizes_fit &&
                                  !vector_job && a_words == 36'(A_DEPTH));
  c_load_waits: cover property (@(posedge clk) rst_n && state == LOAD &&
                                ((a_ready && !a_valid) || (w_ready && !w_valid)));
  c_tile_to_tile: cover property (@(posedge clk) rst_n && state == COMPUTE && en && sequencing &&
                                  !vector_q && period_left == 1 && nt + 1 < n_tiles_q);
  c_vector_waits: cover property (@(posedge clk) rst_n && state == COMPUTE && vector_q &&
                                  sequencing && en && !v_valid);
  c_result_backpressure: cover property (@(posedge clk) rst_n && c_valid && !c_ready);
  c_pipeline_stalled: cover property (@(posedge clk) rst_n && state == COMPUTE && !en);
  c_fifo_full: cover property (@(posedge clk) rst_n && 32'(fifo_count) == FIFO_DEPTH);
  c_reset_mid_job: cover property (@(posedge clk) !rst_n && state != IDLE);
`endif
endmodule
