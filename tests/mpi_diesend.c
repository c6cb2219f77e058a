/* Preloaded by tests/sweep_mpi.sh into the ranks of one sweep: the rank
 * named by $SL_TEST_DIE_RANK kills itself (SIGKILL) as soon as it began
 * to send a message tagged 4 (core/cmd/sweep.c's TAG_DB: a point's
 * database bytes, tens of kB: past the eager limit, so MPI_Isend sent
 * only the message's header and first piece, and the rest waits for
 * rank 0's answer, which the dead rank never reads). So rank 0 holds a
 * receive of a large message whose sender died midway. A kill -9 of a
 * worker rank can land there (it did, once in CI, and rank 0 hung);
 * this makes it land there every time. (No MPI_Test before the kill: on
 * a loaded machine one let the whole message through.) */
#include <mpi.h>
#include <signal.h>
#include <stdlib.h>

int MPI_Isend(const void *buf, int count, MPI_Datatype t, int dst, int tag,
              MPI_Comm comm, MPI_Request *req)
{
    int rc = PMPI_Isend(buf, count, t, dst, tag, comm, req);
    const char *die = getenv("SL_TEST_DIE_RANK");
    int me = -1;
    PMPI_Comm_rank(comm, &me);
    if (rc == MPI_SUCCESS && tag == 4 && die && atoi(die) == me)
        raise(SIGKILL);
    return rc;
}
