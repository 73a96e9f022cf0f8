import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * A small kernel tree for tests, written for them in kernel style: a
 * sys/sys/malloc.h of our own and a driver whose interrupt handler
 * allocates without waiting (line 10) and whose attach allocates with a
 * NULL test (line 20).
 */

/* A 2003-style DragonFly header: no M_INTWAIT yet. */
export const DFLY_OLD_HEADER = `/* $DragonFly: src/sys/sys/malloc.h,v 1.1 2003/06/17 04:28:59 example Exp $ */
#define	M_NOWAIT	0x0001
#define	M_WAITOK	0x0002
#define	M_ZERO		0x0100
#define	M_USE_RESERVE	0x0200
`;
/* The same header a year later, with the interrupt wait class. */
export const DFLY_NEW_HEADER = DFLY_OLD_HEADER + `#define	M_USE_INTERRUPT_RESERVE	0x1000
#define	M_INTWAIT	(M_WAITOK | M_USE_RESERVE | M_USE_INTERRUPT_RESERVE)
`;
/* FreeBSD-style: FreeBSD-only flags and declarations. */
export const FBSD_HEADER = `#define	M_NOWAIT	0x0001
#define	M_WAITOK	0x0002
#define	M_ZERO		0x0100
#define	M_NOVM		0x0200
#define	M_USE_RESERVE	0x0400
#define	M_NODUMP	0x0800
void	*malloc_domainset(size_t size, struct malloc_type *type, struct domainset *ds, int flags);
`;

export const QUX = `#include <sys/param.h>
#include <sys/malloc.h>

static void
qux_intr(void *arg)
{
	struct qux_softc *sc = arg;
	struct qux_ev *ev;

	ev = malloc(sizeof(*ev), M_DEVBUF, M_NOWAIT|M_ZERO);
	ev->ev_sc = sc;
	qux_queue(sc, ev);
}

static int
qux_attach(device_t dev)
{
	struct qux_softc *sc = device_get_softc(dev);

	sc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_NOWAIT);
	if (sc->sc_ring == NULL)
		return (ENOMEM);
	bus_setup_intr(dev, sc->sc_irq, 0, qux_intr, sc, &sc->sc_ih, NULL);
	return (0);
}

static device_method_t qux_methods[] = {
	DEVMETHOD(device_attach, qux_attach),
	{ 0, 0 }
};
`;

/** ROOT/NAME/sys/sys/malloc.h and ROOT/NAME/sys/dev/qux/qux.c; returns ROOT/NAME. */
export function qux(root: string, name: string, header: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'sys', 'sys'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'sys', 'dev', 'qux'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'sys', 'sys', 'malloc.h'), header);
  fs.writeFileSync(path.join(dir, 'sys', 'dev', 'qux', 'qux.c'), QUX);
  return dir;
}
