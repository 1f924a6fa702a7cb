using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class DropUnusedHnswIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The default vector half (Quantized) never reads it, and every insert paid to keep it (issue 17). IF EXISTS: a
            // database loaded by the memory benchmark has it dropped already.
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_memories_embedding_hnsw;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_memories_embedding_hnsw",
                table: "memories",
                column: "embedding")
                .Annotation("Npgsql:IndexMethod", "hnsw")
                .Annotation("Npgsql:IndexOperators", new[] { "vector_cosine_ops" });
        }
    }
}
