using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class ForgottenMessages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "forgotten_messages",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    message_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    forgotten_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_forgotten_messages", x => new { x.user_id, x.message_id });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "forgotten_messages");
        }
    }
}
