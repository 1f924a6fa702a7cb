using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class ImportQuotaAndTranscriptDrop : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "transcript",
                table: "conversation_imports",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb");

            migrationBuilder.AddColumn<int>(
                name: "transcript_bytes",
                table: "conversation_imports",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Imports queued before the quota count what they hold; those that ended give up their transcripts.
            migrationBuilder.Sql("""
                UPDATE conversation_imports
                SET transcript_bytes = (SELECT coalesce(sum(octet_length(line ->> 'content')), 0) FROM jsonb_array_elements(transcript) AS line)
                WHERE jsonb_typeof(transcript) = 'array';
                UPDATE conversation_imports SET transcript = NULL WHERE status <> 'queued';
                """);

            migrationBuilder.CreateIndex(
                name: "ix_conversation_imports_user_id_created_at",
                table: "conversation_imports",
                columns: new[] { "user_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_conversation_imports_user_id_processed_at",
                table: "conversation_imports",
                columns: new[] { "user_id", "processed_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_conversation_imports_user_id_created_at",
                table: "conversation_imports");

            migrationBuilder.DropIndex(
                name: "ix_conversation_imports_user_id_processed_at",
                table: "conversation_imports");

            migrationBuilder.DropColumn(
                name: "transcript_bytes",
                table: "conversation_imports");

            migrationBuilder.Sql("UPDATE conversation_imports SET transcript = '[]' WHERE transcript IS NULL;");

            migrationBuilder.AlterColumn<string>(
                name: "transcript",
                table: "conversation_imports",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]",
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);
        }
    }
}
