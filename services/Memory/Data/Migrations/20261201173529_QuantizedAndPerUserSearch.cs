using System.Collections;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class QuantizedAndPerUserSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_memories_search_vector",
                table: "memories");

            migrationBuilder.DropIndex(
                name: "ix_memories_user_id_is_active_kind",
                table: "memories");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:btree_gin", ",,")
                .Annotation("Npgsql:PostgresExtension:vector", ",,")
                .OldAnnotation("Npgsql:PostgresExtension:vector", ",,");

            migrationBuilder.AddColumn<BitArray>(
                name: "embedding_bits",
                table: "memories",
                type: "bit(384)",
                nullable: true,
                computedColumnSql: "binary_quantize(embedding)::bit(384)",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_memories_current_facts",
                table: "memories",
                columns: new[] { "user_id", "reinforcement_count", "valid_from" },
                descending: new[] { false, true, true },
                filter: "is_active AND kind = 'fact'");

            migrationBuilder.CreateIndex(
                name: "ix_memories_current_situations",
                table: "memories",
                columns: new[] { "user_id", "valid_from" },
                descending: new[] { false, true },
                filter: "is_active AND kind IN ('summary', 'note')");

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_is_active_kind",
                table: "memories",
                columns: new[] { "user_id", "is_active", "kind" })
                .Annotation("Npgsql:IndexInclude", new[] { "id", "embedding_bits" });

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_search_vector",
                table: "memories",
                columns: new[] { "user_id", "search_vector" })
                .Annotation("Npgsql:IndexMethod", "gin");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_memories_current_facts",
                table: "memories");

            migrationBuilder.DropIndex(
                name: "ix_memories_current_situations",
                table: "memories");

            migrationBuilder.DropIndex(
                name: "ix_memories_user_id_is_active_kind",
                table: "memories");

            migrationBuilder.DropIndex(
                name: "ix_memories_user_id_search_vector",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "embedding_bits",
                table: "memories");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:vector", ",,")
                .OldAnnotation("Npgsql:PostgresExtension:btree_gin", ",,")
                .OldAnnotation("Npgsql:PostgresExtension:vector", ",,");

            migrationBuilder.CreateIndex(
                name: "ix_memories_search_vector",
                table: "memories",
                column: "search_vector")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_memories_user_id_is_active_kind",
                table: "memories",
                columns: new[] { "user_id", "is_active", "kind" });
        }
    }
}
