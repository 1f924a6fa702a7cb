using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class EpisodesAndResolvedTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateOnly>(
                name: "occurred_from",
                table: "memories",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "occurred_to",
                table: "memories",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "role",
                table: "memories",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "speaker",
                table: "memories",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_memories_superseded_facts",
                table: "memories",
                column: "user_id",
                filter: "kind = 'fact' AND superseded_by IS NOT NULL");

            // A message is one episode (by user, session or import, and message id); EF cannot model an index on an array column.
            migrationBuilder.Sql(
                "CREATE UNIQUE INDEX ux_memories_episode_source ON memories (user_id, source_session_id, source_message_ids) WHERE kind = 'episode'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX ux_memories_episode_source");
            migrationBuilder.Sql("DELETE FROM memories WHERE kind = 'episode'");

            migrationBuilder.DropIndex(
                name: "ix_memories_superseded_facts",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "occurred_from",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "occurred_to",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "role",
                table: "memories");

            migrationBuilder.DropColumn(
                name: "speaker",
                table: "memories");
        }
    }
}
