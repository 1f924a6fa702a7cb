using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Goals.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class AccountErasure : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "account_erasures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_erasures", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "account_erasure_steps",
                columns: table => new
                {
                    erasure_id = table.Column<Guid>(type: "uuid", nullable: false),
                    service = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_erasure_steps", x => new { x.erasure_id, x.service });
                    table.ForeignKey(
                        name: "fk_account_erasure_steps_account_erasures_erasure_id",
                        column: x => x.erasure_id,
                        principalTable: "account_erasures",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_account_erasures_subject_requested_at",
                table: "account_erasures",
                columns: new[] { "subject", "requested_at" });

            migrationBuilder.CreateIndex(
                name: "ux_account_erasures_one_pending",
                table: "account_erasures",
                column: "subject",
                unique: true,
                filter: "completed_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "account_erasure_steps");

            migrationBuilder.DropTable(
                name: "account_erasures");
        }
    }
}
