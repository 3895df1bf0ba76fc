// One processing element of the output-stationary systolic array.
//
// Operands move through: a (with its valid/first/flush tags) to the right, w down,
// one register stage each. The PE keeps one int32 accumulator for its output of the
// current tile. A beat tagged `first` starts a new tile; the finished sum moves to
// `result` in the same cycle, so tiles follow each other without a gap. A `flush`
// beat only retires the finished sum. The numeric contract: int8 x int8 products
// summed in int32 (docs/numerics.md).
module tessera_pe (
    input  logic               clk,
    input  logic               rst_n,
    input  logic               en,         // global stall when low: nothing moves
    input  logic               valid_in,
    input  logic               first_in,
    input  logic               flush_in,
    input  logic signed [ 7:0] a_in,
    input  logic signed [ 7:0] w_in,
    output logic               valid_out,
    output logic               first_out,
    output logic               flush_out,
    output logic signed [ 7:0] a_out,
    output logic signed [ 7:0] w_out,
    output logic signed [31:0] result,
    output logic               retire      // this cycle finishes a tile (combinational)
);
  logic signed [31:0] acc;
  logic               active;
  logic signed [15:0] product;

  assign product = a_in * w_in;
  assign retire  = en && valid_in && (first_in || flush_in) && active;

  // The east-going beat (operand and tags) moves as one register.
  logic [10:0] east_q;
  assign {valid_out, first_out, flush_out, a_out} = east_q;

  // Only the control state is reset; operands and sums are don't-care until a valid
  // beat defines them (fewer reset muxes in hardware and in simulation).
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      active <= 1'b0;
      east_q <= '0;
    end else if (en) begin
      east_q <= {valid_in, first_in, flush_in, a_in};
      if (valid_in && (first_in || flush_in)) active <= !flush_in;
    end
  end

  always_ff @(posedge clk) begin
    if (en) begin
      w_out <= w_in;
      if (valid_in) begin
        if (first_in || flush_in) begin
          if (active) result <= acc;
          acc <= flush_in ? 32'sd0 : 32'(product);
        end else begin
          acc <= acc + 32'(product);
        end
      end
    end
  end
endmodule
