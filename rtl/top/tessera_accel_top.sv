// The accelerator's top level: the device register map (docs/rtl.md), a DMA that
// streams tiled operands from device memory into the GEMM engine and its results
// back, the engine, and the attention unit behind its own DMA. One job runs at a
// time: a START while the other unit is busy is ignored. The SystemC platform drives
// these ports.
//
// The memory port is an AXI4 manager's (docs/rtl.md, "Memory port"): read address
// (mem_ar_*) and data (mem_r_*), write address (mem_aw_*), data (mem_w_*) and
// response (mem_b_valid) channels, INCR bursts of up to MAX_BEATS beats that never
// cross 4 KiB, one ID (responses in order), back-pressure on AR, AW and W, at 64-bit
// byte addresses (*_ADDR low, *_ADDR_HI high halves). The data bus is MEM_BYTES: one
// word of WORD_BYTES = ROWS bytes (the array edge; ROWS == COLS) or four. A beat is a
// word (ARSIZE/AWSIZE; on a four-word bus a narrow transfer on the lanes its address
// selects, WSTRB naming them), except a vector job's W on a four-word bus, below.
// RREADY and BREADY would always be high (the top has room for every beat it asks
// for) and the top counts its read beats itself, so the port leaves out RREADY, RLAST
// and BREADY; an AXI4 wrapper ties them. A job's DONE waits for the B response of its
// last write burst.
//
// Operands in device memory are tiled as the engine consumes them: A at A_ADDR holds
// m_tiles*K words, word (mt, k) = column k of row tile mt; W at W_ADDR likewise.
// Results go to C_ADDR, one tile row (COLS int32 = 4 words) after the other, tiles
// in (mt, nt) order, a write burst per tile row. The ICD packs and unpacks these
// layouts.
//
// Vector jobs (CTRL.VECTOR; GEMV): A is K bytes in ceil(K/ROWS) words, W tiled as
// above. The engine's W stream takes one K step of ROWS row tiles per beat; the DMA
// gathers each beat from the ROWS words (vt*ROWS + r, k), K words apart in memory,
// reading only the row tiles that exist (lanes past N_TILES stay zero). It reads
// VECTOR_BURST_BEATS K steps of each row tile in one burst (a group of beats) into a
// FIFO of entries of BW words (the bus's); the gather takes an entry a cycle, lane r
// of BW beats at once, and a group's entries are freed when its last beat is
// gathered. On a four-word bus a group's burst for one row tile is one whole-bus
// beat when W_ADDR is bus-aligned and K a multiple of VECTOR_BURST_BEATS, else words.
// Requests run ahead of the gather by at most the FIFO, so every response finds room
// and the groups after the one being gathered hide the memory's latency. Results are
// C in order: the writer drops the engine's rows past N_TILES.
//
// With CHECKSUMS the engine checks every tile (docs/reliability.md): FEATURES bit 0
// says so, a job with failing tiles ends with STATUS.ERROR and STATUS.CHECKSUM (its
// results written all the same), and CHECKSUM_FAILS and CHECKSUM_TILE count them and
// name the first. The fault_* inputs (simulation only) go to the engine's.
module tessera_accel_top #(
    parameter int ROWS    = 16,
    parameter int COLS    = 16,
    parameter int A_DEPTH = 4096,
    parameter int W_DEPTH = 4096,
    parameter int HS_MAX    = 16,   // attention lanes (largest head size)
    parameter int CTX_MAX   = 1024, // attention positions
    parameter int CHECKSUMS = 0,    // 1: the GEMM engine's checksums
    parameter int MAX_BEATS = 16,   // beats of a burst (AXI4 INCR: up to 256)
    parameter int MEM_BYTES = 16    // data bus: ROWS, or ROWS * VECTOR_BURST_BEATS
) (
    input  logic                    clk,
    input  logic                    rst_n,
    // Register bus: one access per cycle; reads return in the same cycle.
    input  logic                    csr_write,
    input  logic                    csr_read,
    input  logic [             7:0] csr_addr,
    input  logic [            31:0] csr_wdata,
    output logic [            31:0] csr_rdata,
    output logic                    irq,          // STATUS.DONE or ATT_STATUS.DONE
    // Memory reads: address and data channels.
    output logic                    mem_ar_valid,
    input  logic                    mem_ar_ready,
    output logic [            63:0] mem_ar_addr,
    output logic [             7:0] mem_ar_len,
    output logic [             2:0] mem_ar_size,
    input  logic                    mem_r_valid,
    input  logic [ MEM_BYTES*8-1:0] mem_r_data,
    // Memory writes: address, data and response channels.
    output logic                    mem_aw_valid,
    input  logic                    mem_aw_ready,
    output logic [            63:0] mem_aw_addr,
    output logic [             7:0] mem_aw_len,
    output logic [             2:0] mem_aw_size,
    output logic                    mem_w_valid,
    input  logic                    mem_w_ready,
    output logic [ MEM_BYTES*8-1:0] mem_w_data,
    output logic [   MEM_BYTES-1:0] mem_w_strb,
    output logic                    mem_w_last,
    input  logic                    mem_b_valid
`ifndef SYNTHESIS
    ,
    input  logic [             1:0] fault_site,
    input  logic [             1:0] fault_kind,
    input  logic [             4:0] fault_bit,
    input  logic [            31:0] fault_tile,
    input  logic [            20:0] fault_step,
    input  logic [            15:0] fault_row,
    input  logic [            15:0] fault_col,
    input  logic                    fault_w_buffer,
    input  logic [            31:0] fault_word,
    input  logic [            15:0] fault_lane
`endif
);
  localparam int WORD_BYTES = ROWS;
  localparam int ROW_WORDS = COLS * 4 / WORD_BYTES;  // words per result row

  // ---- Register map ------------------------------------------------------------------
  // REG_* offsets, ID_VALUE, VERSION_VALUE: generated from the C++ register map
  // (sim/include/tessera/sim/register_map.inc) by the build.
  `include "tessera_registers.svh"
  // VECTOR_BURST_BEATS and GATHER_GROUPS (tessera/sim/dma_shape.hpp).
  `include "tessera_dma.svh"
  localparam int VB = VECTOR_BURST_BEATS;
  // Words a bus beat carries: one, or a gather group of a row tile (BW == VB).
  localparam int BW = MEM_BYTES / ROWS;
  localparam bit WIDE_BUS = BW > 1;
  localparam int LANE_BITS = WIDE_BUS ? $clog2(BW) : 1;
  localparam logic [2:0] WORD_SIZE = 3'($clog2(WORD_BYTES));  // ARSIZE of a word
  localparam logic [2:0] BUS_SIZE = 3'($clog2(MEM_BYTES));
  // The gather FIFO's entries (a power of two): GATHER_GROUPS groups of words on a
  // narrow port; as many entries of BW words on a wide one, whose bursts (one entry
  // each) then cover the memory's latency at a beat a clock.
  localparam int GATHER_ENTRIES = GATHER_GROUPS * ROWS * VB;
  localparam int GQ = $clog2(GATHER_ENTRIES);
  localparam int GW = GQ + 2;
  if (MEM_BYTES != ROWS && MEM_BYTES != ROWS * VB) begin : g_bad_bus
    $error("MEM_BYTES must be ROWS or ROWS * VECTOR_BURST_BEATS");
  end

  // The engine's checksum report of its last job (zero without CHECKSUMS); STATUS
  // shows a failure once the job is done.
  logic [31:0] engine_checksum_fails, engine_checksum_tile;
  logic checksum_failed;

  logic [15:0] m_tiles, n_tiles;
  logic [19:0] k_len;
  logic [63:0] a_addr, w_addr, c_addr;
  logic vector_q;  // the running GEMM job is a vector job
  logic done_flag, engine_finished;  // DONE waits for the last result words to be written
  logic engine_start, engine_busy, engine_done, engine_error;
  logic [63:0] cycles, compute_cycles, stall_cycles, load_wait_cycles;

  logic [15:0] att_positions, att_head_size, att_group;
  logic [63:0] att_q_addr, att_kv_addr, att_out_addr;
  logic att_start, att_busy, att_done, att_error, att_done_flag;
  logic att_finishing;  // the attention unit is done, its last writes not yet answered
  logic [63:0] att_cycles;
  // Writes in progress: a region the writer holds, or bursts with no B response yet.
  logic writes_pending;
  logic any_busy;
  assign any_busy = engine_busy || att_busy || att_finishing || loading || writes_pending;
  assign engine_start = csr_write && csr_addr == REG_CTRL && csr_wdata[CTRL_START_BIT] && !any_busy;
  assign att_start = csr_write && csr_addr == REG_ATT_CTRL && csr_wdata[CTRL_START_BIT] && !any_busy;
  assign irq = done_flag || att_done_flag;
  assign checksum_failed = done_flag && engine_checksum_fails != 0;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      m_tiles   <= '0;
      n_tiles   <= '0;
      k_len     <= '0;
      a_addr    <= '0;
      w_addr    <= '0;
      c_addr    <= '0;
      done_flag <= 1'b0;
      engine_finished <= 1'b0;
      att_positions <= '0;
      att_head_size <= '0;
      att_group <= '0;
      att_q_addr <= '0;
      att_kv_addr <= '0;
      att_out_addr <= '0;
      att_done_flag <= 1'b0;
      att_finishing <= 1'b0;
    end else begin
      if (att_start) att_done_flag <= 1'b0;
      if ((att_done || att_finishing) && !writes_pending) begin
        att_done_flag <= 1'b1;
        att_finishing <= 1'b0;
      end else if (att_done) begin
        att_finishing <= 1'b1;
      end
      if (csr_write && !any_busy) begin
        case (csr_addr)
          REG_M_TILES: m_tiles <= csr_wdata[15:0];
          REG_N_TILES: n_tiles <= csr_wdata[15:0];
          REG_K: k_len <= csr_wdata[19:0];
          REG_A_ADDR: a_addr[31:0] <= csr_wdata;
          REG_A_ADDR_HI: a_addr[63:32] <= csr_wdata;
          REG_W_ADDR: w_addr[31:0] <= csr_wdata;
          REG_W_ADDR_HI: w_addr[63:32] <= csr_wdata;
          REG_C_ADDR: c_addr[31:0] <= csr_wdata;
          REG_C_ADDR_HI: c_addr[63:32] <= csr_wdata;
          REG_ATT_POSITIONS: att_positions <= csr_wdata[15:0];
          REG_ATT_HEAD_SIZE: att_head_size <= csr_wdata[15:0];
          REG_ATT_GROUP: att_group <= csr_wdata[15:0];
          REG_ATT_Q_ADDR: att_q_addr[31:0] <= csr_wdata;
          REG_ATT_Q_ADDR_HI: att_q_addr[63:32] <= csr_wdata;
          REG_ATT_KV_ADDR: att_kv_addr[31:0] <= csr_wdata;
          REG_ATT_KV_ADDR_HI: att_kv_addr[63:32] <= csr_wdata;
          REG_ATT_OUT_ADDR: att_out_addr[31:0] <= csr_wdata;
          REG_ATT_OUT_ADDR_HI: att_out_addr[63:32] <= csr_wdata;
          default: ;
        endcase
      end
      if (engine_start) begin
        done_flag       <= 1'b0;
        engine_finished <= 1'b0;
      end
      if (engine_done) engine_finished <= 1'b1;
      // engine_finished is set the cycle after done, when the writer holds the last row.
      if (engine_finished && !writes_pending && !engine_start) begin
        done_flag       <= 1'b1;
        engine_finished <= 1'b0;
      end
    end
  end

  always_comb begin
    csr_rdata = '0;
    if (csr_read) begin
      case (csr_addr)
        REG_ID: csr_rdata = ID_VALUE;
        REG_VERSION: csr_rdata = VERSION_VALUE;
        REG_CONFIG:
        csr_rdata = {8'($clog2(W_DEPTH)), 8'($clog2(A_DEPTH)), 8'(COLS), 8'(ROWS)};
        REG_FEATURES: csr_rdata = 32'(CHECKSUMS != 0) << FEATURE_CHECKSUMS_BIT;
        REG_STATUS:
        csr_rdata = {
          28'd0, checksum_failed, engine_error || checksum_failed, done_flag, engine_busy
        };
        REG_CHECKSUM_FAILS: csr_rdata = engine_checksum_fails;
        REG_CHECKSUM_TILE: csr_rdata = engine_checksum_tile;
        REG_M_TILES: csr_rdata = {16'd0, m_tiles};
        REG_N_TILES: csr_rdata = {16'd0, n_tiles};
        REG_K: csr_rdata = {12'd0, k_len};
        REG_A_ADDR: csr_rdata = a_addr[31:0];
        REG_A_ADDR_HI: csr_rdata = a_addr[63:32];
        REG_W_ADDR: csr_rdata = w_addr[31:0];
        REG_W_ADDR_HI: csr_rdata = w_addr[63:32];
        REG_C_ADDR: csr_rdata = c_addr[31:0];
        REG_C_ADDR_HI: csr_rdata = c_addr[63:32];
        REG_CYCLES_LO: csr_rdata = cycles[31:0];
        REG_CYCLES_HI: csr_rdata = cycles[63:32];
        REG_STALL_LO: csr_rdata = stall_cycles[31:0];
        REG_STALL_HI: csr_rdata = stall_cycles[63:32];
        REG_LOAD_WAIT_LO: csr_rdata = load_wait_cycles[31:0];
        REG_LOAD_WAIT_HI: csr_rdata = load_wait_cycles[63:32];
        REG_ATT_STATUS: csr_rdata = {29'd0, att_error, att_done_flag, att_busy || att_finishing};
        REG_ATT_POSITIONS: csr_rdata = {16'd0, att_positions};
        REG_ATT_HEAD_SIZE: csr_rdata = {16'd0, att_head_size};
        REG_ATT_GROUP: csr_rdata = {16'd0, att_group};
        REG_ATT_Q_ADDR: csr_rdata = att_q_addr[31:0];
        REG_ATT_Q_ADDR_HI: csr_rdata = att_q_addr[63:32];
        REG_ATT_KV_ADDR: csr_rdata = att_kv_addr[31:0];
        REG_ATT_KV_ADDR_HI: csr_rdata = att_kv_addr[63:32];
        REG_ATT_OUT_ADDR: csr_rdata = att_out_addr[31:0];
        REG_ATT_OUT_ADDR_HI: csr_rdata = att_out_addr[63:32];
        REG_ATT_CYCLES_LO: csr_rdata = att_cycles[31:0];
        REG_ATT_CYCLES_HI: csr_rdata = att_cycles[63:32];
        default: csr_rdata = '0;
      endcase
    end
  end

  // ---- Operand DMA: A's region, then W's; responses routed in order -----------------
  localparam logic [35:0] ROWS36 = 36'(ROWS);
  logic [35:0] a_words, w_beats, received;
  logic loading;
  // A vector job's W comes in whole-bus beats, one gather group of a row tile each,
  // when the bus is that wide, W_ADDR is bus-aligned and K a multiple of the group's K
  // steps (no group is short); else a word a beat as in matrix jobs.
  logic wide_w;
  assign wide_w = WIDE_BUS && vector_q && (w_addr & (64'(MEM_BYTES) - 64'd1)) == 0 &&
                  k_len % 20'(VB) == 0;
  // A vector job's A is K bytes; W is every row tile once per K step in both modes.
  assign a_words = vector_q ? (36'(k_len) + ROWS36 - 36'd1) / ROWS36
                            : 36'(m_tiles) * 36'(k_len);
  assign w_beats = wide_w ? 36'(n_tiles) * (36'(k_len) / 36'(VB)) : 36'(n_tiles) * 36'(k_len);
  logic a_requested, w_requested;  // the region is with the read splitter

  // Vector W regions walk (vector tile, group of K steps, row tile in the tile): one
  // region of a group's K steps per row tile. The requests, the FIFO's filling and
  // the gather each walk the groups ({K step, row tiles left} of the next group: the
  // next of the vector tile, or the first of the next one).
  logic [63:0] row_stride, tile_stride;  // bytes between row tiles, vector tiles
  assign row_stride  = 64'(k_len) * 64'(WORD_BYTES);
  assign tile_stride = row_stride * 64'(ROWS);
  logic [63:0] req_tile_off, req_row_off;
  logic [19:0] req_k;  // the group's first K step
  logic [15:0] req_r, req_tiles_left, req_rows;
  logic [GW-1:0] req_beats, req_entries;  // K steps in the group; its FIFO entries a row tile
  assign req_rows  = req_tiles_left >= 16'(ROWS) ? 16'(ROWS) : req_tiles_left;
  assign req_beats = k_len - req_k >= 20'(VB) ? GW'(VB) : GW'(k_len - req_k);
  assign req_entries = (req_beats + GW'(BW - 1)) / GW'(BW);
  logic [35:0] req_next;
  assign req_next = req_k + 20'(req_beats) < k_len ? {req_k + 20'(req_beats), req_tiles_left}
                                                   : {20'd0, req_tiles_left - req_rows};
  // FIFO entries requested and not yet freed by the gather: they fit the FIFO.
  logic [GW-1:0] gather_reserved, group_entries;
  logic group_free;
  logic vector_credit;
  assign vector_credit = 32'(gather_reserved) + 32'(req_entries) <= GATHER_ENTRIES;

  // Only while the engine is loading: a job whose sizes it rejected fetches nothing.
  logic gemm_req_valid, gemm_req_ready, gemm_req_fire, requesting_vector;
  logic [63:0] gemm_req_addr;
  logic [35:0] gemm_req_words;
  logic [2:0] gemm_req_size;
  assign requesting_vector = vector_q && a_requested && req_tiles_left != 0;
  always_comb begin
    gemm_req_valid = 1'b0;
    gemm_req_addr  = a_addr;
    gemm_req_words = a_words;
    gemm_req_size  = WORD_SIZE;
    if (loading && engine_busy) begin
      if (!a_requested) begin
        gemm_req_valid = 1'b1;
      end else if (!vector_q) begin
        gemm_req_valid = !w_requested;
        gemm_req_addr  = w_addr;
        gemm_req_words = w_beats;
      end else begin
        gemm_req_valid = req_tiles_left != 0 && vector_credit;
        gemm_req_addr  = w_addr + req_tile_off + req_row_off + 64'(req_k) * 64'(WORD_BYTES);
        gemm_req_words = wide_w ? 36'd1 : 36'(req_beats);
        gemm_req_size  = wide_w ? BUS_SIZE : WORD_SIZE;
      end
    end
  end
  assign gemm_req_fire = gemm_req_valid && gemm_req_ready;

  // Which word of the bus an R beat carries: a word-sized beat's lane follows its
  // address (AXI4 narrow transfers). The read bursts in flight, oldest first, say so;
  // AR waits while TRACKED are in flight.
  logic [ROWS*8-1:0] r_word;
  logic r_whole;  // the beat is a whole-bus beat
  logic ar_room, splitter_valid;
  logic [2:0] splitter_size;
  if (WIDE_BUS) begin : g_read_lanes
    localparam int TRACKED = GATHER_ENTRIES;
    localparam int TQ = $clog2(TRACKED);
    logic [LANE_BITS-1:0] first_lane[TRACKED];
    logic [7:0] burst_len[TRACKED];
    logic whole[TRACKED];
    logic [TQ-1:0] head, tail;
    logic [TQ:0] count;
    logic [7:0] beat;  // of the oldest burst, received so far
    logic [LANE_BITS-1:0] lane;
    logic ar_fire, last_beat;
    assign ar_fire = mem_ar_valid && mem_ar_ready;
    assign lane = first_lane[head] + LANE_BITS'(beat);
    assign last_beat = mem_r_valid && beat == burst_len[head];
    assign ar_room = count != (TQ + 1)'(TRACKED);
    assign r_whole = whole[head];
    logic [ROWS*8-1:0] bus_words[BW];
    for (genvar b = 0; b < BW; b++) begin : g_words
      assign bus_words[b] = mem_r_data[b*ROWS*8+:ROWS*8];
    end
    assign r_word = bus_words[lane];
    always_ff @(posedge clk) begin
      if (ar_fire) begin
        first_lane[tail] <= mem_ar_addr[$clog2(MEM_BYTES)-1:$clog2(ROWS)];
        burst_len[tail]  <= mem_ar_len;
        whole[tail]      <= mem_ar_size == BUS_SIZE;
      end
    end
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        head  <= '0;
        tail  <= '0;
        count <= '0;
        beat  <= '0;
      end else begin
        if (ar_fire) tail <= tail + TQ'(1);
        if (last_beat) head <= head + TQ'(1);
        count <= count + (TQ + 1)'(ar_fire) - (TQ + 1)'(last_beat);
        if (mem_r_valid) beat <= last_beat ? '0 : beat + 8'd1;
      end
    end
`ifndef SYNTHESIS
    c_reads_wait_for_the_tracker: cover property (@(posedge clk) rst_n && splitter_valid &&
                                                  !ar_room);
    a_beat_expected: assert property (@(posedge clk) disable iff (!rst_n)
                                      !(mem_r_valid && count == 0));
`endif
  end else begin : g_one_lane
    assign ar_room = 1'b1;
    assign r_whole = 1'b0;
    assign r_word  = mem_r_data;
  end
  assign mem_ar_valid = splitter_valid && ar_room;
  assign mem_ar_size  = splitter_size;

  // Responses belong to whichever unit is running (only one is).
  logic gemm_rsp_valid, att_rsp_valid;
  assign att_rsp_valid = mem_r_valid && att_busy;
  assign gemm_rsp_valid = mem_r_valid && !att_busy;
  logic a_valid, w_valid, a_ready, w_ready, w_response;
  assign a_valid = gemm_rsp_valid && received < a_words;
  assign w_response = gemm_rsp_valid && received >= a_words;
  assign w_valid = w_response && !vector_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      loading     <= 1'b0;
      a_requested <= 1'b0;
      w_requested <= 1'b0;
      received    <= '0;
      vector_q    <= 1'b0;
    end else begin
      if (engine_start) begin
        loading     <= 1'b1;
        a_requested <= 1'b0;
        w_requested <= 1'b0;
        received    <= '0;
        vector_q    <= csr_wdata[CTRL_VECTOR_BIT];
      end else begin
        if (gemm_req_fire && a_requested) w_requested <= 1'b1;
        if (gemm_req_fire) a_requested <= 1'b1;
        if (gemm_rsp_valid) received <= received + 1;
        if (loading && received + 36'(gemm_rsp_valid) == a_words + w_beats) loading <= 1'b0;
        if (engine_done) loading <= 1'b0;  // also ends a job the engine rejected
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n || engine_start) begin
      req_tile_off    <= '0;
      req_row_off     <= '0;
      req_k           <= '0;
      req_r           <= '0;
      req_tiles_left  <= n_tiles;
    end else if (gemm_req_fire && requesting_vector) begin
      if (req_r + 16'd1 < req_rows) begin
        req_r       <= req_r + 16'd1;
        req_row_off <= req_row_off + row_stride;
      end else begin  // the group is requested: the next one, or the next vector tile
        req_r       <= '0;
        req_row_off <= '0;
        {req_k, req_tiles_left} <= req_next;
        if (req_next[35:16] == 0) req_tile_off <= req_tile_off + tile_stride;
      end
    end
  end

  // The gather FIFO: entries of BW words (K steps of one row tile), a group's row
  // tiles one after the other, each in ceil(K steps / BW) entries. gather_head is the
  // oldest group's first entry. A whole-bus beat fills an entry; word beats fill its
  // lanes in turn, and a row tile's last word closes its entry.
  logic [MEM_BYTES*8-1:0] gather_fifo[GATHER_ENTRIES];
  logic [GQ-1:0] gather_head, gather_tail;
  logic [GW-1:0] gather_queued;  // entries from gather_head on
  logic v_word, entry_closed;
  logic [LANE_BITS-1:0] fill_lane;  // the lane a word beat fills
  assign v_word = w_response && vector_q;
  if (WIDE_BUS) begin : g_fill
    // Where the word beats are: the word within its row tile's burst, and the group's
    // K steps, walking the groups as the requests do.
    logic [GW-1:0] fill_word, fill_beats;
    logic [15:0] fill_r, fill_tiles_left, fill_rows;
    logic [19:0] fill_k;
    logic tile_ends;
    assign fill_rows  = fill_tiles_left >= 16'(ROWS) ? 16'(ROWS) : fill_tiles_left;
    assign fill_beats = k_len - fill_k >= 20'(VB) ? GW'(VB) : GW'(k_len - fill_k);
    assign tile_ends  = r_whole || fill_word + GW'(1) == fill_beats;
    logic [35:0] fill_next;
    assign fill_next = fill_k + 20'(fill_beats) < k_len
                     ? {fill_k + 20'(fill_beats), fill_tiles_left}
                     : {20'd0, fill_tiles_left - fill_rows};
    assign fill_lane  = LANE_BITS'(fill_word);
    assign entry_closed = v_word && (tile_ends || 32'(fill_lane) == BW - 1);
    always_ff @(posedge clk) begin
      if (!rst_n || engine_start) begin
        fill_word       <= '0;
        fill_r          <= '0;
        fill_k          <= '0;
        fill_tiles_left <= n_tiles;
      end else if (v_word) begin
        fill_word <= tile_ends ? '0 : fill_word + GW'(1);
        if (tile_ends) begin
          if (fill_r + 16'd1 < fill_rows) begin
            fill_r <= fill_r + 16'd1;
          end else begin
            fill_r <= '0;
            {fill_k, fill_tiles_left} <= fill_next;
          end
        end
      end
    end
`ifndef SYNTHESIS
    c_vector_whole_beat: cover property (@(posedge clk) rst_n && v_word && r_whole);
    c_vector_words_on_a_wide_bus: cover property (@(posedge clk) rst_n && v_word && !r_whole &&
                                                  32'(fill_lane) == BW - 1);
`endif
  end else begin : g_fill_words
    assign fill_lane = '0;
    assign entry_closed = v_word;
  end
  always_ff @(posedge clk) begin
    if (v_word) begin
      for (int b = 0; b < BW; b++) begin
        if (r_whole) gather_fifo[gather_tail][b*ROWS*8+:ROWS*8] <= mem_r_data[b*ROWS*8+:ROWS*8];
        else if (32'(fill_lane) == b) gather_fifo[gather_tail][b*ROWS*8+:ROWS*8] <= r_word;
      end
    end
  end
  always_ff @(posedge clk) begin
    if (!rst_n || engine_start) begin
      gather_head     <= '0;
      gather_tail     <= '0;
      gather_queued   <= '0;
      gather_reserved <= '0;
    end else begin
      if (entry_closed) gather_tail <= gather_tail + GQ'(1);
      if (group_free) gather_head <= gather_head + GQ'(group_entries);
      gather_queued <= gather_queued + GW'(entry_closed) - (group_free ? group_entries : '0);
      gather_reserved <= gather_reserved +
                         (gemm_req_fire && requesting_vector ? req_entries : '0) -
                         (group_free ? group_entries : '0);
    end
  end

  // The gather: an entry of each of the group's row tiles fills lane r of BW beats
  // (K steps) at once; the complete set moves to the engine's stream buffer when that
  // is empty or giving its last beat, and the engine takes a beat a clock from it.
  // A set's beats lane by lane (word b·ROWS + r: beat b's lane r), indexed by narrow
  // counters so that synthesis builds decoders and a BW-way choice, not shifters.
  localparam int RB = $clog2(ROWS);
  logic [COLS*8-1:0] gather_set[BW*ROWS], v_set[BW*ROWS];
  logic [ROWS*COLS*8-1:0] v_data;
  logic [15:0] gather_count, gather_tiles_left, gather_rows, lane;
  logic [19:0] gather_k;  // the group's first K step
  logic [GW-1:0] gather_beats, gather_e;  // K steps in the group; the entry being gathered
  logic [GW-1:0] set_steps, gather_steps, v_left;  // K steps of a set of beats
  logic [LANE_BITS-1:0] v_pick;  // the set's beat the engine takes next
  logic gather_full, v_valid, v_ready, v_take, gather_move, gather_pop, set_done, gather_entry;
  logic [GW-1:0] gather_offset;  // of the entry the gather takes next, from gather_head
  logic [MEM_BYTES*8-1:0] gather_in;
  assign gather_rows = gather_tiles_left >= 16'(ROWS) ? 16'(ROWS) : gather_tiles_left;
  assign gather_beats = k_len - gather_k >= 20'(VB) ? GW'(VB) : GW'(k_len - gather_k);
  logic [GW-1:0] tile_entries;  // a row tile's entries in the group
  assign tile_entries = (gather_beats + GW'(BW - 1)) / GW'(BW);
  assign group_entries = GW'(32'(gather_rows) * 32'(tile_entries));
  assign gather_steps = gather_beats - gather_e * GW'(BW) >= GW'(BW) ? GW'(BW) :
                        gather_beats - gather_e * GW'(BW);
  assign v_valid     = v_left != 0;
  assign v_take      = v_valid && v_ready;
  for (genvar r = 0; r < ROWS; r++) begin : g_v_lanes
    if (BW == 1) begin : g_one
      assign v_data[r*COLS*8+:COLS*8] = v_set[r];
    end else begin : g_pick
      assign v_data[r*COLS*8+:COLS*8] = v_set[32'(v_pick)*ROWS+r];
    end
  end
  assign gather_move = gather_full && (v_left == 0 || (v_left == GW'(1) && v_take));
  assign gather_entry = gather_offset < gather_queued;
  assign gather_pop  = gather_entry && (!gather_full || gather_move);
  assign lane        = gather_move ? '0 : gather_count;
  assign gather_offset = GW'(32'(lane) * 32'(tile_entries) + 32'(gather_e));
  assign gather_in   = gather_fifo[gather_head+GQ'(gather_offset)];
  assign set_done    = gather_pop && lane + 16'd1 == gather_rows;
  assign group_free  = set_done && (gather_e + GW'(1)) * GW'(BW) >= gather_beats;
  logic [35:0] gather_next;
  assign gather_next = gather_k + 20'(gather_beats) < k_len
                     ? {gather_k + 20'(gather_beats), gather_tiles_left}
                     : {20'd0, gather_tiles_left - gather_rows};

  always_ff @(posedge clk) begin
    if (!rst_n || engine_start) begin
      for (int i = 0; i < BW * ROWS; i++) gather_set[i] <= '0;
      gather_count      <= '0;
      gather_full       <= 1'b0;
      gather_k          <= '0;
      gather_e          <= '0;
      gather_tiles_left <= n_tiles;
      set_steps         <= '0;
      v_left            <= '0;
      v_pick            <= '0;
    end else begin
      if (gather_move) begin
        for (int i = 0; i < BW * ROWS; i++) begin
          v_set[i]      <= gather_set[i];
          gather_set[i] <= '0;
        end
        v_left <= set_steps;
        v_pick <= '0;
      end else if (v_take) begin
        v_left <= v_left - GW'(1);
        v_pick <= v_pick + LANE_BITS'(1);
      end
      if (gather_pop) begin
        for (int b = 0; b < BW; b++) begin
          gather_set[b*ROWS+32'(lane[RB-1:0])] <= gather_in[b*ROWS*8+:ROWS*8];
        end
      end
      if (gather_move || gather_pop) begin
        gather_count <= lane + 16'(gather_pop);
        gather_full  <= set_done;
      end
      if (set_done) begin
        set_steps <= gather_steps;
        gather_e  <= group_free ? '0 : gather_e + GW'(1);
      end
      if (group_free) begin
        {gather_k, gather_tiles_left} <= gather_next;
      end
    end
  end

  // ---- Result writer: each kept engine row is a region of ROW_WORDS words ------------
  logic c_valid, c_ready;
  logic [COLS*32-1:0] c_data, row_q;
  logic [63:0] write_addr;
  logic [19:0] results_seen;  // engine rows of the job so far
  logic result_kept;          // the row leaving the engine now is written
  logic gemm_wr_req_valid, gemm_data_valid, wr_req_ready, wr_data_ready;
  assign result_kept = !vector_q || results_seen < 20'(n_tiles);
  assign c_ready = wr_req_ready && !att_busy;
  assign gemm_wr_req_valid = c_valid && result_kept && !att_busy;
  assign gemm_data_valid = !att_busy;  // the writer takes words only of a region it holds

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      write_addr   <= '0;
      row_q        <= '0;
      results_seen <= '0;
    end else begin
      if (engine_start) begin
        write_addr   <= c_addr;
        results_seen <= '0;
      end
      if (c_valid && c_ready) begin
        results_seen <= results_seen + 20'd1;
        if (result_kept) begin
          row_q      <= c_data;
          write_addr <= write_addr + 64'(ROW_WORDS * WORD_BYTES);
        end
      end else if (wr_data_ready && !att_busy) begin
        row_q <= row_q >> (ROWS * 8);
      end
    end
  end

  tessera_gemm_engine #(
      .ROWS     (ROWS),
      .COLS     (COLS),
      .A_DEPTH  (A_DEPTH),
      .W_DEPTH  (W_DEPTH),
      .CHECKSUMS(CHECKSUMS)
  ) engine (
      .clk             (clk),
      .rst_n           (rst_n),
      .start           (engine_start),
      .preloaded       (1'b0),
      .vector_job      (csr_wdata[CTRL_VECTOR_BIT]),
      .m_tiles         (m_tiles),
      .n_tiles         (n_tiles),
      .k_len           (k_len),
      .busy            (engine_busy),
      .done            (engine_done),
      .error           (engine_error),
      .a_valid         (a_valid),
      .a_ready         (a_ready),
      .a_data          (r_word),
      .w_valid         (w_valid),
      .w_ready         (w_ready),
      .w_data          (r_word),
      .v_valid         (v_valid),
      .v_ready         (v_ready),
      .v_data          (v_data),
      .c_valid         (c_valid),
      .c_ready         (c_ready),
      .c_data          (c_data),
      .cycles          (cycles),
      .compute_cycles  (compute_cycles),
      .stall_cycles    (stall_cycles),
      .load_wait_cycles(load_wait_cycles),
      .checksum_fails  (engine_checksum_fails),
      .checksum_tile   (engine_checksum_tile)
`ifndef SYNTHESIS
      ,
      .fault_site      (fault_site),
      .fault_kind      (fault_kind),
      .fault_bit       (fault_bit),
      .fault_tile      (fault_tile),
      .fault_step      (fault_step),
      .fault_row       (fault_row),
      .fault_col       (fault_col),
      .fault_w_buffer  (fault_w_buffer),
      .fault_word      (fault_word),
      .fault_lane      (fault_lane)
`endif
  );

  // ---- Attention unit and its DMA ----------------------------------------------------
  logic att_rd_req_valid, att_wr_req_valid, att_data_valid;
  logic [63:0] att_rd_req_addr, att_wr_req_addr;
  logic [35:0] att_rd_req_words, att_wr_req_words;
  logic [ROWS*8-1:0] att_data;

  tessera_attention_port #(
      .WORD_BYTES(WORD_BYTES),
      .HS_MAX    (HS_MAX),
      .CTX_MAX   (CTX_MAX)
  ) attention (
      .clk           (clk),
      .rst_n         (rst_n),
      .start         (att_start),
      .positions     (att_positions),
      .head_size     (att_head_size),
      .group         (att_group),
      .q_addr        (att_q_addr),
      .kv_addr       (att_kv_addr),
      .out_addr      (att_out_addr),
      .busy          (att_busy),
      .done          (att_done),
      .error         (att_error),
      .cycles        (att_cycles),
      .rd_req_valid  (att_rd_req_valid),
      .rd_req_ready  (rd_req_ready && att_busy),
      .rd_req_addr   (att_rd_req_addr),
      .rd_req_words  (att_rd_req_words),
      .rsp_valid     (att_rsp_valid),
      .rsp_data      (r_word),
      .wr_req_valid  (att_wr_req_valid),
      .wr_req_ready  (wr_req_ready && att_busy),
      .wr_req_addr   (att_wr_req_addr),
      .wr_req_words  (att_wr_req_words),
      .wr_data_valid (att_data_valid),
      .wr_data_ready (wr_data_ready && att_busy),
      .wr_data       (att_data)
  );

  // ---- Memory port: one read splitter and one writer, for the unit running ---------
  logic rd_req_ready;
  tessera_burst_splitter #(
      .WORD_BYTES(WORD_BYTES),
      .MAX_BEATS (MAX_BEATS)
  ) reads (
      .clk      (clk),
      .rst_n    (rst_n),
      .req_valid(att_busy ? att_rd_req_valid : gemm_req_valid),
      .req_ready(rd_req_ready),
      .req_addr (att_busy ? att_rd_req_addr : gemm_req_addr),
      .req_words(att_busy ? att_rd_req_words : gemm_req_words),
      .req_size (att_busy ? WORD_SIZE : gemm_req_size),
      .valid    (splitter_valid),
      .ready    (mem_ar_ready && ar_room),
      .addr     (mem_ar_addr),
      .len      (mem_ar_len),
      .size     (splitter_size)
  );
  assign gemm_req_ready = rd_req_ready && !att_busy;

  tessera_burst_writer #(
      .WORD_BYTES(WORD_BYTES),
      .BUS_BYTES (MEM_BYTES),
      .MAX_BEATS (MAX_BEATS)
  ) writes (
      .clk       (clk),
      .rst_n     (rst_n),
      .req_valid (att_busy ? att_wr_req_valid : gemm_wr_req_valid),
      .req_ready (wr_req_ready),
      .req_addr  (att_busy ? att_wr_req_addr : write_addr),
      .req_words (att_busy ? att_wr_req_words : 36'(ROW_WORDS)),
      .data_valid(att_busy ? att_data_valid : gemm_data_valid),
      .data_ready(wr_data_ready),
      .data      (att_busy ? att_data : row_q[ROWS*8-1:0]),
      .aw_valid  (mem_aw_valid),
      .aw_ready  (mem_aw_ready),
      .aw_addr   (mem_aw_addr),
      .aw_len    (mem_aw_len),
      .aw_size   (mem_aw_size),
      .w_valid   (mem_w_valid),
      .w_ready   (mem_w_ready),
      .w_data    (mem_w_data),
      .w_strb    (mem_w_strb),
      .w_last    (mem_w_last)
  );

  // Write bursts whose B response has not come: DONE waits for them.
  logic [15:0] bursts_unanswered;
  always_ff @(posedge clk) begin
    if (!rst_n) bursts_unanswered <= '0;
    else bursts_unanswered <= bursts_unanswered + 16'(mem_aw_valid && mem_aw_ready) -
                              16'(mem_b_valid);
  end
  assign writes_pending = !wr_req_ready || bursts_unanswered != 0;

  // Responses are only requested while the engine loads, so it always accepts them.
  logic unused;
  assign unused = a_ready ^ w_ready ^ (^compute_cycles);

  // ---- Cover points (simulation only; scripts/coverage reports every one) ----------
`ifndef SYNTHESIS
  c_start_while_busy: cover property (@(posedge clk) rst_n && csr_write && any_busy &&
                                      (csr_addr == REG_CTRL || csr_addr == REG_ATT_CTRL));
  c_vector_job: cover property (@(posedge clk) rst_n && engine_start &&
                                csr_wdata[CTRL_VECTOR_BIT]);
  c_vector_partial_tile: cover property (@(posedge clk) rst_n && gather_pop &&
                                         gather_rows < 16'(ROWS));
  c_vector_short_group: cover property (@(posedge clk) rst_n && group_free &&
                                        32'(gather_beats) < VB);
  c_vector_set_waits_for_the_engine: cover property (@(posedge clk) rst_n && gather_full &&
                                                     !gather_move);
  c_vector_waits_for_the_engine: cover property (@(posedge clk) rst_n && loading &&
                                                 requesting_vector && !vector_credit);
  c_vector_result_dropped: cover property (@(posedge clk) rst_n && c_valid && c_ready &&
                                           !result_kept);
  c_address_above_4gib: cover property (@(posedge clk) rst_n && mem_ar_valid &&
                                        mem_ar_addr[63:32] != 32'd0);
  // The credit keeps a response from arriving at a full FIFO.
  a_gather_has_room: assert property (@(posedge clk) disable iff (!rst_n)
                                      !(entry_closed && 32'(gather_queued) == GATHER_ENTRIES));
  a_b_expected: assert property (@(posedge clk) disable iff (!rst_n)
                                 !(mem_b_valid && bursts_unanswered == 0));
  c_gather_queue_waits: cover property (@(posedge clk) rst_n && gather_entry && !gather_pop);
  // The beat's next word (a later row tile's burst) is still on its way while words
  // of the group are here.
  c_gather_waits_for_a_burst: cover property (@(posedge clk) rst_n && vector_q && loading &&
                                              !gather_entry && gather_queued != 0);
  c_read_waits: cover property (@(posedge clk) rst_n && mem_ar_valid && !mem_ar_ready);
  c_write_address_waits: cover property (@(posedge clk) rst_n && mem_aw_valid && !mem_aw_ready);
  c_write_waits: cover property (@(posedge clk) rst_n && mem_w_valid && !mem_w_ready);
  c_done_waits_for_b: cover property (@(posedge clk) rst_n && (engine_finished || att_finishing) &&
                                      wr_req_ready && bursts_unanswered != 0);
  c_irq: cover property (@(posedge clk) rst_n && irq);
`endif
endmodule
