using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Goals.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class ContactVerification : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "email_status",
                table: "users",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "webhook_status",
                table: "users",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "contact_verifications",
                columns: table => new
                {
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    channel = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    target = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    code_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    check_id = table.Column<Guid>(type: "uuid", nullable: true),
                    last_error = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    window_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    sent_in_window = table.Column<int>(type: "integer", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_contact_verifications", x => new { x.user_id, x.channel });
                    table.ForeignKey(
                        name: "fk_contact_verifications_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Addresses stored before verification existed were never proven: they are pending, not grandfathered, so
            // nothing more goes to an address someone else may have typed. Their owners ask for a code or a check
            // (POST /me/email/resend, POST /me/webhook/verify); none is sent unasked. Notifications drops its copies.
            migrationBuilder.Sql("UPDATE users SET email_status = 'pending' WHERE notify_email IS NOT NULL;");
            migrationBuilder.Sql("UPDATE users SET webhook_status = 'pending' WHERE notify_webhook_url IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "contact_verifications");

            migrationBuilder.DropColumn(
                name: "email_status",
                table: "users");

            migrationBuilder.DropColumn(
                name: "webhook_status",
                table: "users");
        }
    }
}
