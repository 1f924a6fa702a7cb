using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Notifications.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class UnverifiedContactsDropped : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Goals now announces only proven addresses and marks the ones stored before as pending without announcing
            // anything: the copies here were never proven, so they go, and the channels refuse until Goals announces again.
            migrationBuilder.Sql("UPDATE user_profiles SET email = NULL, webhook_url = NULL WHERE email IS NOT NULL OR webhook_url IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The dropped copies cannot come back; Goals announces them again once proven.
        }
    }
}
