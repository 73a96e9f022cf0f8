/**
 * Context tables: which kernel APIs register a function to run in which
 * context, which calls sleep, which names suggest a role. Data, one table per
 * dialect; the extraction and the resolver only read these.
 *
 * Sources: FreeBSD bus_setup_intr(9), callout(9), taskqueue(9), kthread(9),
 * locking(9); DragonFly 2004 and later sys/bus.h, sys/interrupt.h,
 * kern/kern_timeout.c, sys/taskqueue.h, sys/kthread.h.
 */
import type { DialectName } from '../model/types';

/**
 * How restricted a context is, from most to least:
 *  - noalloc:   no allocation at all (spin mutex, FreeBSD critical section, interrupt filter)
 *  - nosleep:   must not block (non-sleepable lock held, callout, FreeBSD interrupt thread, fast interrupt)
 *  - interrupt: DragonFly interrupt thread: may block briefly, must not fail (M_INTWAIT)
 *  - sleepable: thread context that may sleep (attach, ioctl, kthread, taskqueue, SYSINIT)
 */
export type Level = 'noalloc' | 'nosleep' | 'interrupt' | 'sleepable';
export const LEVEL_ORDER: Record<Level, number> = { noalloc: 0, nosleep: 1, interrupt: 2, sleepable: 3 };

export type Role =
  | 'interrupt-filter'
  | 'interrupt-thread'
  | 'fast-interrupt'
  | 'callout'
  | 'taskqueue'
  | 'kthread'
  | 'device-method'
  | 'module-init'
  | 'network-output'
  | 'network-ioctl'
  | 'watchdog'
  | 'periph-constructor'
  | 'bus-enumeration'
  | 'device-teardown';

export interface Registration {
  /** The registering call (or macro). */
  call: string;
  /** Argument index of the registered function. */
  arg: number;
  role: Role;
  /** When this argument's text matches, the role becomes fast-interrupt (INTR_FAST handlers run with interrupts disabled). */
  fastFlag?: { arg: number; re: RegExp };
}

/** `ptr->field = fn` assignments that register fn. */
export interface FieldRole {
  field: string;
  role: Role;
}

/**
 * Macros that define a function: `USB_ATTACH(foo)` expands to the header of
 * foo_attach(), the driver's device_attach method (usb_port.h of 2004-era
 * BSD trees). The function is known by the expanded name, and by the
 * macro argument, which is what a parser sees as the declarator.
 */
export interface FnMacro {
  macro: string;
  suffix: string;
  role: Role;
}

export interface ContextTables {
  registrations: Registration[];
  fnMacros: FnMacro[];
  fields: FieldRole[];
  /** What each role means here. */
  roleLevel: Record<Role, Level>;
  /** Why a role has its level, where the registering call alone does not say it (appended to the evidence). */
  roleWhy?: Partial<Record<Role, string>>;
  /**
   * Roles whose context may sleep but where the allocation should draw on the
   * interrupt reserve (DragonFly M_INTWAIT); the text says why. Also given to
   * functions called only from such a role (callgraph.ts).
   */
  reserveRoles?: Partial<Record<Role, string>>;
  /** Device methods registered in a role of their own instead of device-method (first match wins). */
  methodRoles?: { re: RegExp; role: Role }[];
  /** Calls that sleep: a function calling one runs where sleeping is allowed. */
  sleepers: string[];
  /** Device methods that run in thread context (DEVMETHOD(device_attach, foo)). */
  sleepableMethods: RegExp;
  /** Name heuristics (weak evidence): suffixes of thread-context entry points. */
  sleepableSuffix: RegExp;
  /**
   * Weaker still: `foo_init` names, taken as thread-context entry points only when the function is
   * listed in a file-scope method table (a keyboard driver's init) or nothing in the tree calls it, and
   * no code stores it in a field at run time; per-packet refill routines named so are called or stored
   * by the driver itself.
   */
  tableInitSuffix: RegExp;
  /** Name heuristics (weak evidence): interrupt-side code (handlers, packet input/output, completions, timeouts). */
  interruptSuffix: RegExp;
  /** spl levels that mean interrupt-ish code when held at the call (2004-era trees). */
  interruptSpl: string[];
}

const common: Registration[] = [
  { call: 'callout_reset', arg: 2, role: 'callout' },
  { call: 'callout_reset_bycpu', arg: 2, role: 'callout' },
  { call: 'callout_reset_sbt', arg: 3, role: 'callout' },
  { call: 'timeout', arg: 0, role: 'callout' },
  { call: 'TASK_INIT', arg: 2, role: 'taskqueue' },
  { call: 'TIMEOUT_TASK_INIT', arg: 3, role: 'taskqueue' },
  { call: 'kthread_create', arg: 0, role: 'kthread' },
  { call: 'kthread_create_cpu', arg: 0, role: 'kthread' },
  { call: 'kthread_alloc', arg: 0, role: 'kthread' },
  { call: 'kproc_create', arg: 0, role: 'kthread' },
  { call: 'kthread_add', arg: 0, role: 'kthread' },
  { call: 'kproc_kthread_add', arg: 0, role: 'kthread' },
  { call: 'lwkt_create', arg: 0, role: 'kthread' },
  /* CAM: periph start routines and CCB completions run from the CAM software interrupt */
  { call: 'cam_periph_alloc', arg: 3, role: 'interrupt-thread' },
  { call: 'cam_fill_csio', arg: 2, role: 'interrupt-thread' },
  /* CAM SIM action routines run from the XPT in thread context; the 2004 developers allocated there with M_WAITOK */
  { call: 'cam_sim_alloc', arg: 0, role: 'device-method' },
  /* USB transfer completions run from the host controller interrupt */
  { call: 'usbd_setup_xfer', arg: 7, role: 'interrupt-thread' },
  { call: 'usbd_setup_default_xfer', arg: 8, role: 'interrupt-thread' },
  { call: 'usbd_setup_isoc_xfer', arg: 6, role: 'interrupt-thread' },
];

const fnMacros: FnMacro[] = [
  { macro: 'USB_MATCH', suffix: '_match', role: 'device-method' },
  { macro: 'USB_ATTACH', suffix: '_attach', role: 'device-method' },
  { macro: 'USB_DETACH', suffix: '_detach', role: 'device-method' },
];

const fields: FieldRole[] = [
  { field: 'if_start', role: 'network-output' },
  { field: 'if_output', role: 'network-output' },
  { field: 'if_watchdog', role: 'watchdog' },
  { field: 'if_ioctl', role: 'network-ioctl' },
  { field: 'cbfcnp', role: 'interrupt-thread' },
  /* config_intrhook(9): the hook runs once interrupts are enabled, from the boot thread, and may sleep */
  { field: 'ich_func', role: 'module-init' },
];

const sleepers = [
  'tsleep', 'msleep', 'ssleep', 'lksleep', 'mtxsleep', 'zsleep', 'pause', 'pause_sbt', 'cv_wait', 'cv_wait_sig', 'cv_timedwait',
  'cv_timedwait_sig', 'sx_sleep', 'rw_sleep', 'msleep_spin', 'kthread_suspend', 'vm_wait', 'uiomove', 'copyin', 'copyout',
  'copyinstr', 'copyoutstr', 'sooptcopyin', 'sooptcopyout', 'vn_lock', 'sx_xlock', 'sx_slock', 'kmem_alloc_wait',
  'bwait', 'biowait', 'sema_wait',
];
/* Not lwkt_serialize_enter: DragonFly interrupt threads enter serializers too (they may block briefly, not sleep). */

const roleLevelFreeBSD: Record<Role, Level> = {
  'interrupt-filter': 'noalloc',
  'interrupt-thread': 'nosleep',
  'fast-interrupt': 'noalloc',
  callout: 'nosleep',
  taskqueue: 'sleepable',
  kthread: 'sleepable',
  'device-method': 'sleepable',
  'module-init': 'sleepable',
  'network-output': 'nosleep',
  'network-ioctl': 'nosleep', // FreeBSD if_ioctl often runs under the driver mutex; no verdict from the role alone
  watchdog: 'nosleep',
  /* not registered in the FreeBSD table (FreeBSD calls periph constructors with the SIM lock held); the level is unused */
  'periph-constructor': 'nosleep',
  'bus-enumeration': 'sleepable',
  'device-teardown': 'sleepable',
};

/* DragonFly interrupts are LWKT threads: they may block briefly and use M_INTWAIT (kmalloc(9)). */
const roleLevelDragonFly: Record<Role, Level> = {
  ...roleLevelFreeBSD,
  'interrupt-filter': 'interrupt',
  'interrupt-thread': 'interrupt',
  'fast-interrupt': 'nosleep',
  'network-output': 'interrupt',
  'network-ioctl': 'sleepable',
  /* callouts run from the clock interrupt thread: they may block briefly like any interrupt thread */
  callout: 'interrupt',
  watchdog: 'interrupt',
  'periph-constructor': 'sleepable',
};

const sleepableMethods = /^(device_(attach|probe|detach|shutdown|suspend|resume|identify)|bus_(add_child|driver_added|probe_nomatch))$/;
/*
 * foo_attach, fooattach (2004 ISA drivers), USB_ATTACH(foo) (the name is the macro's). Not `_init`: per-packet
 * refill routines (foo_rxbuf_init) and interface init methods, run under the driver lock, are named so too.
 */
const sleepableSuffix = /(attach|probe|detach|ioctl|open|close|modevent|_load|_unload|shutdown|suspend|resume)$/i;

const interruptSuffix = /(intr|_isr|_input|_output|_start|_done|_timeout|_tick|_watchdog|_poll)$/;

export const CONTEXT_TABLES: Record<DialectName, ContextTables> = {
  freebsd: {
    registrations: [
      { call: 'bus_setup_intr', arg: 3, role: 'interrupt-filter' },
      { call: 'bus_setup_intr', arg: 4, role: 'interrupt-thread' },
      { call: 'BUS_SETUP_INTR', arg: 4, role: 'interrupt-filter' },
      { call: 'BUS_SETUP_INTR', arg: 5, role: 'interrupt-thread' },
      { call: 'callout_reset_on', arg: 2, role: 'callout' },
      { call: 'callout_reset_curcpu', arg: 2, role: 'callout' },
      { call: 'swi_add', arg: 2, role: 'interrupt-thread' },
      ...common,
    ],
    fnMacros,
    fields: fields.filter((f) => f.field !== 'if_ioctl'),
    roleLevel: roleLevelFreeBSD,
    sleepers,
    sleepableMethods,
    sleepableSuffix,
    tableInitSuffix: /_init$/i,
    interruptSuffix,
    interruptSpl: [],
  },
  dragonfly: {
    registrations: [
      { call: 'bus_setup_intr', arg: 3, role: 'interrupt-thread', fastFlag: { arg: 2, re: /INTR_(TYPE_)?FAST/ } },
      { call: 'bus_setup_intr_descr', arg: 3, role: 'interrupt-thread' },
      { call: 'BUS_SETUP_INTR', arg: 4, role: 'interrupt-thread', fastFlag: { arg: 3, re: /INTR_(TYPE_)?FAST/ } },
      { call: 'register_int', arg: 1, role: 'interrupt-thread' },
      { call: 'register_swi', arg: 1, role: 'interrupt-thread' },
      { call: 'register_swi_mp', arg: 1, role: 'interrupt-thread' },
      { call: 'inthand_add', arg: 2, role: 'interrupt-thread' },
      /* netisr handlers run in the protocol (software interrupt) threads */
      { call: 'netisr_register', arg: 2, role: 'interrupt-thread' },
      /* cam_periph_alloc(ctor, oninvalidate, dtor, start, ...): the periph constructor (DragonFly only, see roleWhy) */
      { call: 'cam_periph_alloc', arg: 0, role: 'periph-constructor' },
      ...common,
    ],
    fnMacros,
    fields,
    roleLevel: roleLevelDragonFly,
    /*
     * Dillon (2004): "M_WAITOK in the attach code or ioctl code typically
     * called from userland, and M_INTWAIT for routines that might be called
     * during non-boot operations". Bus enumeration runs again after boot:
     * loading a driver re-probes the devices of its bus (bus_driver_added ->
     * identify, probe), and hot-plug buses probe from their event threads.
     * Detach, shutdown, suspend and resume run only after boot.
     * device_identify is left a device method: it is the hook of buses that
     * cannot enumerate themselves (ISA, PnP BIOS), and the 2004 developers
     * used M_WAITOK under it (measured: 0 agree, 4 disagree as a reserve role).
     */
    methodRoles: [
      { re: /^(device_probe|bus_(add_child|driver_added))$/, role: 'bus-enumeration' },
      { re: /^device_(detach|shutdown|suspend|resume)$/, role: 'device-teardown' },
    ],
    reserveRoles: {
      'bus-enumeration': 'bus enumeration (probe, add_child) may sleep but also runs after boot, at hot-plug and driver-load time, so it draws on the interrupt reserve',
      'device-teardown': 'detach, shutdown, suspend and resume may sleep but run after boot (unload, hot-unplug, power events), so they draw on the interrupt reserve',
    },
    roleWhy: {
      'periph-constructor':
        'CAM periph constructors run from the CAM scan/async path in thread context with no spl or lock held, and may block; DragonFly allocates there with M_WAITOK',
    },
    sleepers,
    sleepableMethods,
    sleepableSuffix,
    tableInitSuffix: /_init$/i,
    interruptSuffix,
    interruptSpl: ['splhigh', 'splclock', 'splstatclock'],
  },
};
