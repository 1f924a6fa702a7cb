using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Aimi.Memory.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class GinWithoutPendingList : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Altered in place, not rebuilt (EF would drop and create it: minutes of blocked writes on a large table). Turning
            // fastupdate off keeps what is pending, so the pending list is moved into the index now.
            migrationBuilder.Sql("ALTER INDEX ix_memory_texts_user_id_search_vector SET (fastupdate = off)");
            migrationBuilder.Sql("SELECT gin_clean_pending_list('ix_memory_texts_user_id_search_vector'::regclass)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER INDEX ix_memory_texts_user_id_search_vector RESET (fastupdate)");
        }
    }
}
