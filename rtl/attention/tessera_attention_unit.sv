// int8 attention for one query head over an int8 KV cache: exactly the contract of
// docs/numerics.md ("Attention"), step for step, as the HLS model computes it.
//
// A job takes the query (HS_MAX int8 lanes, lanes past the head size zero) and its
// fp32 scale s_q' at `start`, then one beat per context position t on the kv stream
// (key row, key scale, value row, value scale; fp32 scales as IEEE bit patterns).
// Phases: LOAD (scores, fixed-point base-2 logits, their maximum and the largest
// value exponent, one position per cycle), WEIGH (table exp2, value-scaled weights,
// their sum and maximum), DIVIDE (one 32-cycle reciprocal), ACCUMULATE (8-bit
// weights times values into int32), then one result beat: the accumulators and the
// three integers the host turns into the output scale.
//
// The unit keeps the last job's key/value positions. A job started with `replay`
// takes them again instead of the kv stream (one per cycle, as the stream would give
// them): the other query heads of a grouped-query (GQA) group over the same K/V.
module tessera_attention_unit #(
    parameter int HS_MAX  = 16,   // lanes: the largest head size
    parameter int CTX_MAX = 1024  // positions the local buffers hold
) (
    input  logic                  clk,
    input  logic                  rst_n,
    input  logic                  start,
    input  logic                  replay,        // with start: the kept positions
    input  logic [          15:0] positions,     // T, 1..CTX_MAX
    input  logic [  HS_MAX*8-1:0] q,
    input  logic [          31:0] q_scale,
    output logic                  busy,
    output logic                  error,         // bad positions or a bad scale
    input  logic                  kv_valid,
    output logic                  kv_ready,
    input  logic [  HS_MAX*8-1:0] kv_k,
    input  logic [          31:0] kv_k_scale,
    input  logic [  HS_MAX*8-1:0] kv_v,
    input  logic [          31:0] kv_v_scale,
    output logic                  out_valid,
    input  logic                  out_ready,
    output logic [ HS_MAX*32-1:0] out_acc,
    output logic [          31:0] out_max_weight,
    output logic [          31:0] out_exp_sum,
    output logic signed [   31:0] out_exponent,
    output logic [          63:0] cycles         // of the last job, start to result
);
  localparam int CW = $clog2(CTX_MAX);
  localparam logic [31:0] DIVIDEND = 32'hff000000;  // 255 << 24

  `include "tessera_exp2_table.svh"

  // ---- The contract's scalar steps (numerics::*) ---------------------------------
  // x / 2^shift rounded half up; for shift <= 0, x * 2^-shift saturated to int64.
  function automatic logic signed [63:0] rounding_shift_right(input logic signed [63:0] x,
                                                              input logic signed [31:0] shift);
    logic signed [63:0] limit;
    logic        [31:0] left;
    rounding_shift_right = '0;
    if (shift <= 0) begin
      left  = 32'(-shift);
      limit = left >= 63 ? 64'sd0 : 64'sh7fffffffffffffff >>> left;
      if (x == 0) rounding_shift_right = '0;
      else if (x > limit) rounding_shift_right = 64'sh7fffffffffffffff;
      else if (x < -limit) rounding_shift_right = 64'sh8000000000000000;
      else rounding_shift_right = x <<< left;
    end else if (shift >= 63) begin
      rounding_shift_right = '0;
    end else begin
      rounding_shift_right = (x + (64'sd1 <<< (shift - 1))) >>> shift;
    end
  endfunction

  // An fp32 scale as mantissa * 2^exponent (numerics::unpack_scale).
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [23:0] scale_mantissa(input logic [31:0] bits);
    scale_mantissa = bits[30:23] == 8'd0 ? {1'b0, bits[22:0]} : {1'b1, bits[22:0]};
  endfunction
  function automatic logic signed [31:0] scale_exponent(input logic [31:0] bits);
    scale_exponent = bits[30:23] == 8'd0 ? -32'sd149 : $signed({24'd0, bits[30:23]}) - 32'sd150;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  function automatic logic scale_invalid(input logic [31:0] bits);
    scale_invalid = (bits[31] && bits[30:0] != 31'd0) || bits[30:23] == 8'hff;
  endfunction

  function automatic logic signed [31:0] saturate_int32(input logic signed [63:0] x);
    if (x > 64'sh000000007fffffff) saturate_int32 = 32'sh7fffffff;
    else if (x < -64'sh0000000080000000) saturate_int32 = 32'sh80000000;
    else saturate_int32 = x[31:0];
  endfunction

  // ---- State -----------------------------------------------------------------------
  typedef enum logic [2:0] {
    IDLE,
    LOAD,
    WEIGH,
    DIVIDE,
    ACCUMULATE,
    RESULT
  } state_t;
  state_t state;

  logic [15:0] total, t;
  logic [HS_MAX*8-1:0] q_q;
  logic [23:0] q_mantissa;
  logic signed [31:0] q_exponent;
  logic signed [31:0] max_logit;
  logic signed [31:0] max_exponent;
  logic signed [31:0] kept_max_exponent;  // the kept values' largest scale exponent
  logic [31:0] max_weight, exp_sum;
  logic [31:0] reciprocal, remainder;
  logic [5:0] divide_step;
  logic signed [31:0] acc[HS_MAX];

  // Per-position buffers: logits (then weights), value mantissas and exponents, values.
  logic signed [31:0] logit_buf[CTX_MAX];
  logic [23:0] vm_buf[CTX_MAX];
  logic signed [9:0] ve_buf[CTX_MAX];
  logic [HS_MAX*8-1:0] v_buf[CTX_MAX];
  // Keys and key scales, for replayed jobs; kept_positions: how many the buffers hold.
  logic [HS_MAX*8-1:0] k_buf[CTX_MAX];
  logic [31:0] k_scale_buf[CTX_MAX];
  logic [15:0] kept_positions;
  logic replaying;

  assign busy     = state != IDLE;
  assign kv_ready = state == LOAD && !replaying;

  // ---- LOAD: score and logit of the arriving (or kept) position ---------------------
  logic load_valid;
  logic [HS_MAX*8-1:0] k_t;
  logic [31:0] k_scale_t;
  assign load_valid = replaying || kv_valid;
  assign k_t        = replaying ? k_buf[CW'(t)] : kv_k;
  assign k_scale_t  = replaying ? k_scale_buf[CW'(t)] : kv_k_scale;
  logic signed [31:0] score;
  always_comb begin
    score = '0;
    for (int i = 0; i < HS_MAX; i++) begin
      score = score + 32'($signed(q_q[i*8+:8]) * $signed(k_t[i*8+:8]));
    end
  end
  logic [47:0] qk_scale_product;
  logic [24:0] qk_mantissa;
  logic signed [31:0] qk_exponent, logit;
  assign qk_scale_product = 48'(q_mantissa) * 48'(scale_mantissa(k_scale_t));
  assign qk_mantissa = 25'(rounding_shift_right($signed({16'd0, qk_scale_product}), 32'sd24));
  assign qk_exponent = q_exponent + scale_exponent(k_scale_t) + 32'sd24;
  assign logit = saturate_int32(rounding_shift_right(
      64'(score) * $signed({39'd0, qk_mantissa}), -(qk_exponent + 32'sd8)));

  // ---- WEIGH: exp2 and the value-scaled weight of position t -------------------------
  logic signed [31:0] logit_t;
  logic [23:0] vm_t;
  logic signed [9:0] ve_t;
  logic [HS_MAX*8-1:0] v_t;
  assign logit_t = logit_buf[CW'(t)];
  assign vm_t    = vm_buf[CW'(t)];
  assign ve_t    = ve_buf[CW'(t)];
  assign v_t     = v_buf[CW'(t)];

  logic signed [63:0] distance;
  logic [16:0] e_t;
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [63:0] weight_t;  // at most 2^17: the low word is kept
  /* verilator lint_on UNUSEDSIGNAL */
  always_comb begin
    distance = 64'(max_logit) - 64'(logit_t);
    if ((distance >>> 8) > 64'sd16) e_t = '0;
    else e_t = exp2_table(distance[7:0]) >> distance[12:8];  // whole octaves, 0..16
    weight_t = rounding_shift_right($signed({47'd0, e_t}) * $signed({40'd0, vm_t}),
                                    max_exponent - 32'(ve_t) + 32'sd24);
  end

  // ---- ACCUMULATE: the 8-bit weight of position t ------------------------------------
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0] probability_wide;  // bits 31:24 are the 8-bit weight
  /* verilator lint_on UNUSEDSIGNAL */
  logic [7:0] probability_t;
  assign probability_wide = 64'(logit_t) * 64'(reciprocal) + 64'd8388608;  // logit_buf holds w_t now
  assign probability_t = probability_wide[31:24];

  always_ff @(posedge clk) begin
    if (state == LOAD && load_valid) logit_buf[CW'(t)] <= logit;
    if (state == LOAD && kv_valid && !replaying) begin
      vm_buf[CW'(t)]      <= scale_mantissa(kv_v_scale);
      ve_buf[CW'(t)]      <= 10'(scale_exponent(kv_v_scale));
      v_buf[CW'(t)]       <= kv_v;
      k_buf[CW'(t)]       <= kv_k;
      k_scale_buf[CW'(t)] <= kv_k_scale;
    end else if (state == WEIGH) begin
      logit_buf[CW'(t)] <= weight_t[31:0];
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state        <= IDLE;
      error        <= 1'b0;
      out_valid    <= 1'b0;
      cycles       <= '0;
      t            <= '0;
      total        <= '0;
      max_logit    <= '0;
      max_exponent <= '0;
      max_weight   <= '0;
      exp_sum      <= '0;
      reciprocal   <= '0;
      remainder    <= '0;
      divide_step  <= '0;
      q_q          <= '0;
      q_mantissa   <= '0;
      q_exponent   <= '0;
      replaying    <= 1'b0;
      kept_positions <= '0;
      kept_max_exponent <= '0;
      for (int i = 0; i < HS_MAX; i++) acc[i] <= '0;
    end else begin
      if (state != IDLE && state != RESULT) cycles <= cycles + 1;
      case (state)
        IDLE: begin
          if (start) begin
            cycles <= 64'd1;
            // A replay needs the positions the buffers hold (those of the last job
            // that loaded them to its end).
            if (positions == 16'd0 || 32'(positions) > CTX_MAX || scale_invalid(q_scale) ||
                (replay && positions != kept_positions)) begin
              error <= 1'b1;
            end else begin
              error        <= 1'b0;
              replaying    <= replay;
              if (!replay) kept_positions <= '0;
              total        <= positions;
              t            <= '0;
              q_q          <= q;
              q_mantissa   <= scale_mantissa(q_scale);
              q_exponent   <= scale_exponent(q_scale);
              max_logit    <= 32'sh80000000;
              max_exponent <= replay ? kept_max_exponent : -32'sd149;
              state        <= LOAD;
            end
          end
        end
        LOAD: begin
          if (load_valid) begin
            if (!replaying && (scale_invalid(kv_k_scale) || scale_invalid(kv_v_scale))) begin
              error <= 1'b1;
            end
            if (logit > max_logit) max_logit <= logit;
            if (!replaying && scale_exponent(kv_v_scale) > max_exponent) begin
              max_exponent <= scale_exponent(kv_v_scale);
            end
            if (t + 1 == total) begin
              if (!replaying && !error && !scale_invalid(kv_k_scale) &&
                  !scale_invalid(kv_v_scale)) begin
                kept_positions    <= total;
                kept_max_exponent <= (scale_exponent(kv_v_scale) > max_exponent) ?
                    scale_exponent(kv_v_scale) : max_exponent;
              end
              t          <= '0;
              exp_sum    <= '0;
              max_weight <= '0;
              state      <= WEIGH;
            end else begin
              t <= t + 1;
            end
          end
        end
        WEIGH: begin
          exp_sum <= exp_sum + 32'(e_t);
          if (weight_t[31:0] > max_weight) max_weight <= weight_t[31:0];
          if (t + 1 == total) begin
            t           <= '0;
            reciprocal  <= '0;
            remainder   <= '0;
            divide_step <= 6'd32;
            state       <= DIVIDE;
          end else begin
            t <= t + 1;
          end
        end
        DIVIDE: begin
          // Restoring division: reciprocal = floor((255 << 24) / max_weight), one bit a cycle.
          if (max_weight == 0) begin
            reciprocal <= '0;
            state      <= ACCUMULATE;
            for (int i = 0; i < HS_MAX; i++) acc[i] <= '0;
          end else if (divide_step == 0) begin
            state <= ACCUMULATE;
            for (int i = 0; i < HS_MAX; i++) acc[i] <= '0;
          end else begin
            logic [32:0] trial;
            trial = {remainder, DIVIDEND[5'(divide_step-6'd1)]};
            if (trial >= {1'b0, max_weight}) begin
              remainder  <= 32'(trial - {1'b0, max_weight});
              reciprocal <= reciprocal | (32'd1 << (divide_step - 1));
            end else begin
              remainder <= trial[31:0];
            end
            divide_step <= divide_step - 1;
          end
        end
        ACCUMULATE: begin
          for (int i = 0; i < HS_MAX; i++) begin
            acc[i] <= acc[i] + 32'($signed({1'b0, probability_t}) * $signed(v_t[i*8+:8]));
          end
          if (t + 1 == total) begin
            t         <= '0;
            out_valid <= 1'b1;
            state     <= RESULT;
          end else begin
            t <= t + 1;
          end
        end
        RESULT: begin
          if (out_ready) begin
            out_valid <= 1'b0;
            state     <= IDLE;
          end
        end
        default: state <= IDLE;
      endcase
    end
  end

  always_comb begin
    for (int i = 0; i < HS_MAX; i++) out_acc[i*32+:32] = acc[i];
  end
  assign out_max_weight = max_weight;
  assign out_exp_sum    = exp_sum;
  assign out_exponent   = max_exponent + 32'sd24;

  // ---- Cover points (simulation only; scripts/coverage reports every one) ----------
`ifndef SYNTHESIS
  c_job_refused: cover property (@(posedge clk) rst_n && state == IDLE && start &&
                                 (positions == 0 || 32'(positions) > CTX_MAX));
  c_one_position: cover property (@(posedge clk) rst_n && state == IDLE && start &&
                                  positions == 1);
  c_kv_waits: cover property (@(posedge clk) rst_n && kv_ready && !kv_valid);
  c_result_backpressure: cover property (@(posedge clk) rst_n && out_valid && !out_ready);
  c_bad_scale: cover property (@(posedge clk) rst_n && error && !busy);
  c_reset_mid_job: cover property (@(posedge clk) !rst_n && state != IDLE);
  c_replay: cover property (@(posedge clk) rst_n && state == IDLE && start && replay &&
                            positions == kept_positions);
`endif
endmodule
