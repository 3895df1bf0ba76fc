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

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      acc       <= '0;
      active    <= 1'b0;
      result    <= '0;
      valid_out <= 1'b0;
      first_out <= 1'b0;
      flush_out <= 1'b0;
      a_out     <= '0;
      w_out     <= '0;
    end else if (en) begin
      valid_out <= valid_in;
      first_out <= first_in;
      flush_out <= flush_in;
      a_out     <= a_in;
      w_out     <= w_in;
      if (valid_in) begin
        if (first_in || flush_in) begin
          if (active) result <= acc;
          acc    <= flush_in ? 32'sd0 : 32'(product);
          active <= !flush_in;
        end else begin
          acc <= acc + 32'(product);
        end
      end
    end
  end
endmodule
