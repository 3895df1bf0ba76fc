// The attention unit behind a DMA, as the accelerator top exposes it: a job reads
// a query record and one key/value record per position from device memory, runs the
// unit, and writes a result record (docs/rtl.md, "Attention records"). Records are
// whole memory words of WORD_BYTES at 64-bit byte addresses; fp32 scales and int32
// results little-endian. The layout (QUERY_*, KV_*, RESULT_* byte offsets and sizes)
// is generated from the C++ one (sim/include/tessera/sim/record_layout.inc): records
// have `head_size` lanes (ATT_HEAD_SIZE; 0 means HS_MAX), the unit's lanes past them
// are zero, and a head size above HS_MAX ends the job with `error` at once.
//
// Its memory traffic is regions of whole words (the top cuts them into AXI4 bursts):
// the query record, all positions' K/V records at once, and each result record.
//
// A job may hold a grouped-query (GQA) group: `group` query heads (0 means one, at
// most ATT_GROUP_MAX) over the same K/V records, their query records one after the
// other from q_addr and their results likewise from out_addr. The K/V records are
// read once: the first head's job loads them into the unit, the others replay them.
// The unit keeps its query at start, so each later head's query record is read while
// the head before it runs (once the K/V records are in), and the next head starts as
// soon as the result before it is written.
module tessera_attention_port #(
    parameter int WORD_BYTES = 16,
    parameter int HS_MAX     = 16,
    parameter int CTX_MAX    = 1024
) (
    input  logic                    clk,
    input  logic                    rst_n,
    input  logic                    start,
    input  logic [            15:0] positions,
    input  logic [            15:0] head_size,
    input  logic [            15:0] group,
    input  logic [            63:0] q_addr,
    input  logic [            63:0] kv_addr,
    input  logic [            63:0] out_addr,
    output logic                    busy,
    output logic                    done,       // one cycle
    output logic                    error,
    output logic [            63:0] cycles,
    output logic                    rd_req_valid,
    input  logic                    rd_req_ready,
    output logic [            63:0] rd_req_addr,
    output logic [            35:0] rd_req_words,
    input  logic                    rsp_valid,
    input  logic [WORD_BYTES*8-1:0] rsp_data,
    output logic                    wr_req_valid,
    input  logic                    wr_req_ready,
    output logic [            63:0] wr_req_addr,
    output logic [            35:0] wr_req_words,
    output logic                    wr_data_valid,
    input  logic                    wr_data_ready,
    output logic [WORD_BYTES*8-1:0] wr_data
);
  `include "tessera_records.svh"
  `include "tessera_registers.svh"  // ATT_GROUP_MAX
  localparam int W = WORD_BYTES * 8;
  localparam int Q_WORDS = (QUERY_BYTES + WORD_BYTES - 1) / WORD_BYTES;
  localparam int KV_WORDS = (KV_BYTES + WORD_BYTES - 1) / WORD_BYTES;
  localparam int OUT_WORDS = (RESULT_BYTES + WORD_BYTES - 1) / WORD_BYTES;

  typedef enum logic [2:0] {
    IDLE,
    READ_Q,
    READ_KV,
    WAIT_RESULT,
    WRITE
  } state_t;
  state_t state;

  logic [Q_WORDS*W-1:0] q_rec;
  logic [KV_WORDS*W-1:0] kv_rec;
  logic [OUT_WORDS*W-1:0] out_rec;
  logic region_asked;  // READ_KV's or WRITE's region is with the top's splitter
  logic [31:0] received, total_words, words_in_record;
  // The query record being read into q_rec (the running head's, or the next head's
  // while the running one computes): wanted, its region asked, words in, all in.
  logic q_wanted, q_asked, q_in;
  logic [31:0] q_received;
  logic [63:0] q_fetch_addr;
  logic [31:0] writes_left;
  logic [15:0] positions_q;
  logic [15:0] group_q, head_q;  // heads of the job; the one running
  logic [63:0] kv_addr_q, out_addr_q;

  // The job's lanes and its records' sizes in words.
  logic [15:0] lanes_in, lanes_q;
  assign lanes_in = head_size == 16'd0 ? 16'(HS_MAX) : head_size;
  logic [15:0] group_in;
  assign group_in = group == 16'd0 ? 16'd1 : group;
  logic [31:0] q_words, kv_words, out_words;
  function automatic logic [31:0] words_of(input int bytes);
    words_of = 32'((bytes + WORD_BYTES - 1) / WORD_BYTES);
  endfunction
  assign q_words   = words_of(QUERY_BYTES_FOR(32'(lanes_q)));
  assign kv_words  = words_of(KV_BYTES_FOR(32'(lanes_q)));
  assign out_words = words_of(RESULT_BYTES_FOR(32'(lanes_q)));

  // The fields at the job's offsets; lanes past the head size read as zero.
  logic [HS_MAX*8-1:0] lane_mask;
  always_comb begin
    for (int i = 0; i < HS_MAX; i++) begin
      lane_mask[i*8+:8] = 32'(i) < 32'(lanes_q) ? 8'hff : 8'h00;
    end
  end
  logic [HS_MAX*8-1:0] q_lanes, k_lanes, v_lanes;
  logic [31:0] q_scale, k_scale, v_scale;
  assign q_lanes = (HS_MAX * 8)'(q_rec >> (8 * QUERY_Q_AT_FOR(32'(lanes_q)))) & lane_mask;
  assign q_scale = 32'(q_rec >> (8 * QUERY_Q_SCALE_AT_FOR(32'(lanes_q))));
  assign k_lanes = (HS_MAX * 8)'(kv_rec >> (8 * KV_K_AT_FOR(32'(lanes_q)))) & lane_mask;
  assign v_lanes = (HS_MAX * 8)'(kv_rec >> (8 * KV_V_AT_FOR(32'(lanes_q)))) & lane_mask;
  assign k_scale = 32'(kv_rec >> (8 * KV_K_SCALE_AT_FOR(32'(lanes_q))));
  assign v_scale = 32'(kv_rec >> (8 * KV_V_SCALE_AT_FOR(32'(lanes_q))));
  // The result record one int32 lane at a time: every field of it is whole lanes (the
  // accumulators from lane 0, then the normalisation's three integers), so each lane
  // is chosen by comparing its offset with the fields' offsets for the job's head
  // size. Shifting the three integers across the whole record instead costs tens of
  // thousands of LUTs at 128 lanes.
  localparam int OUT_LANES = OUT_WORDS * W / 32;
  logic [OUT_WORDS*W-1:0] result_record;
  always_comb begin
    result_record = '0;
    for (int i = 0; i < HS_MAX; i++) begin
      if (32'(4 * i) - 32'(RESULT_ACC_AT_FOR(32'(lanes_q))) < 32'(4) * 32'(lanes_q)) begin
        result_record[i*32+:32] = out_acc[i*32+:32];
      end
    end
    for (int i = 0; i < OUT_LANES; i++) begin
      if (32'(4 * i) == 32'(RESULT_MAX_WEIGHT_AT_FOR(32'(lanes_q))))
        result_record[i*32+:32] = out_max_weight;
      if (32'(4 * i) == 32'(RESULT_EXP_SUM_AT_FOR(32'(lanes_q))))
        result_record[i*32+:32] = out_exp_sum;
      if (32'(4 * i) == 32'(RESULT_EXPONENT_AT_FOR(32'(lanes_q))))
        result_record[i*32+:32] = out_exponent;
    end
  end

  // The unit.
  logic unit_start, unit_busy, unit_error, kv_valid, kv_ready, out_valid, out_ready;
  logic [HS_MAX*32-1:0] out_acc;
  logic [31:0] out_max_weight, out_exp_sum;
  logic signed [31:0] out_exponent;
  logic [63:0] unit_cycles;

  tessera_attention_unit #(
      .HS_MAX (HS_MAX),
      .CTX_MAX(CTX_MAX)
  ) unit (
      .clk           (clk),
      .rst_n         (rst_n),
      .start         (unit_start),
      .replay        (head_q != 16'd0),
      .positions     (positions_q),
      .q             (q_lanes),
      .q_scale       (q_scale),
      .busy          (unit_busy),
      .error         (unit_error),
      .kv_valid      (kv_valid),
      .kv_ready      (kv_ready),
      .kv_k          (k_lanes),
      .kv_k_scale    (k_scale),
      .kv_v          (v_lanes),
      .kv_v_scale    (v_scale),
      .out_valid     (out_valid),
      .out_ready     (out_ready),
      .out_acc       (out_acc),
      .out_max_weight(out_max_weight),
      .out_exp_sum   (out_exp_sum),
      .out_exponent  (out_exponent),
      .cycles        (unit_cycles)
  );

  assign busy         = state != IDLE;
  assign out_ready    = state == WAIT_RESULT;
  // One read region at a time: the K/V records in READ_KV, else the query record
  // wanted (in READ_Q, or the next head's while the unit runs). The top answers in
  // order, so a word that arrives outside READ_KV is the query record's. A job the
  // unit failed asks for no more and ends once no query word is still due.
  logic kv_req_valid, q_req_valid, q_word, q_last_word, unit_failed;
  // (The unit's error is the last job's until the clock that it takes unit_start.)
  logic unit_error_now;
  assign unit_error_now = unit_error && !unit_start;
  assign unit_failed   = state == WAIT_RESULT && unit_error_now && !unit_busy;
  assign kv_req_valid  = state == READ_KV && !region_asked && total_words != 0;
  assign q_req_valid   = state != IDLE && state != READ_KV && q_wanted && !q_asked && !unit_failed;
  assign rd_req_valid  = kv_req_valid || q_req_valid;
  assign rd_req_addr   = state == READ_KV ? kv_addr_q : q_fetch_addr;
  assign rd_req_words  = state == READ_KV ? 36'(total_words) : 36'(q_words);
  assign q_word        = rsp_valid && state != READ_KV;
  assign q_last_word   = q_word && q_received + 1 == q_words;
  assign wr_req_valid  = state == WRITE && !region_asked;
  assign wr_req_addr   = out_addr_q;
  assign wr_req_words  = 36'(out_words);
  assign wr_data_valid = state == WRITE && writes_left != 0;
  assign wr_data       = out_rec[W-1:0];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state           <= IDLE;
      done            <= 1'b0;
      error           <= 1'b0;
      cycles          <= '0;
      unit_start      <= 1'b0;
      kv_valid        <= 1'b0;
      region_asked    <= 1'b0;
      q_wanted        <= 1'b0;
      q_asked         <= 1'b0;
      q_in            <= 1'b0;
      q_received      <= '0;
      q_fetch_addr    <= '0;
      received        <= '0;
      total_words     <= '0;
      words_in_record <= '0;
      writes_left     <= '0;
      positions_q     <= '0;
      group_q         <= 16'd1;
      head_q          <= '0;
      lanes_q         <= 16'(HS_MAX);
      kv_addr_q       <= '0;
      out_addr_q      <= '0;
      q_rec           <= '0;
      kv_rec          <= '0;
      out_rec         <= '0;
    end else begin
      done       <= 1'b0;
      unit_start <= 1'b0;
      if (state != IDLE) cycles <= cycles + 1;
      if (kv_valid && kv_ready) kv_valid <= 1'b0;
      if ((kv_req_valid && rd_req_ready) || (wr_req_valid && wr_req_ready)) region_asked <= 1'b1;
      if (q_req_valid && rd_req_ready) q_asked <= 1'b1;
      if (q_word) begin
        q_rec[q_received*W+:W] <= rsp_data;
        q_received <= q_last_word ? '0 : q_received + 1;
        if (q_last_word) begin
          q_wanted <= 1'b0;
          q_in     <= 1'b1;
        end
      end
      case (state)
        IDLE: begin
          if (start && (32'(lanes_in) > 32'(HS_MAX) || 32'(group_in) > ATT_GROUP_MAX)) begin
            cycles <= 64'd1;
            error  <= 1'b1;
            done   <= 1'b1;
          end else if (start) begin
            cycles      <= 64'd1;
            error       <= 1'b0;
            positions_q <= positions;
            group_q     <= group_in;
            head_q      <= '0;
            lanes_q     <= lanes_in;
            kv_addr_q   <= kv_addr;
            out_addr_q  <= out_addr;
            q_fetch_addr <= q_addr;
            q_wanted    <= 1'b1;
            q_asked     <= 1'b0;
            q_in        <= 1'b0;
            state       <= READ_Q;
          end
        end
        READ_Q: begin
          if (q_in || q_last_word) begin
            unit_start      <= 1'b1;
            q_in            <= 1'b0;
            region_asked    <= 1'b0;
            received        <= '0;
            words_in_record <= '0;
            total_words     <= 32'(positions_q) * kv_words;
            // The group's later heads replay the K/V the unit kept.
            state           <= head_q == 16'd0 ? READ_KV : WAIT_RESULT;
            // The next head's query is read meanwhile: its first word comes clocks
            // after the unit has taken this one at unit_start.
            if (head_q + 16'd1 < group_q) begin
              q_fetch_addr <= q_fetch_addr + 64'(q_words) * 64'(WORD_BYTES);
              q_wanted     <= 1'b1;
              q_asked      <= 1'b0;
            end
          end
        end
        READ_KV: begin
          if (unit_error_now) error <= 1'b1;
          if (rsp_valid) begin
            kv_rec[words_in_record*W+:W] <= rsp_data;
            received <= received + 1;
            if (words_in_record + 1 == kv_words) begin
              words_in_record <= '0;
              // The unit takes a position per cycle while loading, so the previous
              // record is always gone; if not, the job is flagged rather than corrupted.
              if (kv_valid && !kv_ready) error <= 1'b1;
              // A unit that refused the job (a bad query scale) is idle: its records
              // are read and dropped, and the job ends with ERROR in WAIT_RESULT.
              if (unit_busy) kv_valid <= 1'b1;
              else error <= 1'b1;
            end else begin
              words_in_record <= words_in_record + 1;
            end
          end
          if (received == total_words && !kv_valid && !rsp_valid) state <= WAIT_RESULT;
        end
        WAIT_RESULT: begin
          if (unit_failed && !(q_wanted && q_asked)) begin
            error <= 1'b1;
            done  <= 1'b1;
            state <= IDLE;
          end else if (out_valid) begin
            out_rec     <= result_record;
            writes_left  <= out_words;
            region_asked <= 1'b0;
            state        <= WRITE;
          end
        end
        WRITE: begin
          if (wr_data_valid && wr_data_ready) begin
            out_rec     <= out_rec >> W;
            writes_left <= writes_left - 1;
            if (writes_left == 1 && head_q + 16'd1 < group_q) begin  // the group's next head
              head_q      <= head_q + 16'd1;
              out_addr_q  <= out_addr_q + 64'(out_words) * 64'(WORD_BYTES);
              state       <= READ_Q;
            end else if (writes_left == 1) begin
              done  <= 1'b1;
              state <= IDLE;
            end
          end
        end
        default: state <= IDLE;
      endcase
    end
  end

  logic unused;
  assign unused = ^unit_cycles;

`ifndef SYNTHESIS
  c_group_job: cover property (@(posedge clk) rst_n && state == IDLE && start && group > 16'd1);
  c_next_query_early: cover property (@(posedge clk) rst_n && state == READ_Q && head_q != 16'd0 &&
                                      q_in);
  c_failed_with_query_due: cover property (@(posedge clk) rst_n && unit_failed && q_wanted &&
                                           q_asked);
  c_group_refused: cover property (@(posedge clk) rst_n && state == IDLE && start &&
                                   32'(group_in) > ATT_GROUP_MAX);
`endif
endmodule
