/*
 * A container's veth pair set up by rtnetlink from the daemon, instead of three execs (ip,
 * nsenter, ip) at each start on a bridge. Built by scripts/build-native.sh beside the other
 * addons; src/network/bridge.ts falls back to ip(8) when it is absent or when a call fails.
 *
 *   connect(hostIf, ifName, mtu, mac, pid, bridge, addrs, gw4, gw6): undefined, or throw an
 *   Error naming the step and the errno. On the host: the pair (the peer named ifName, with
 *   the MAC and MTU, in the network namespace of pid), the host end enslaved to the bridge
 *   and up. In the container's namespace (from a thread of its own that joins it, so no
 *   thread of node's changes namespace): lo up, each address of addrs ("a.b.c.d/n",
 *   "x::y/n"; IPv6 ones without duplicate address detection), ifName up, then a default
 *   route via gw4 and/or gw6 ("" for none). The same steps, in the same order, as the
 *   `ip -batch` lines they replace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>
#include "napi-args.h"

#define MSG_MAX 4096
#define MAX_ADDRS 16

/* A request: a header, then its attributes, in one buffer. */
struct msg {
  char raw[MSG_MAX] __attribute__((aligned(8)));
  struct nlmsghdr *n;
};

/* Append an attribute; -1 when it does not fit. */
static int add_attr(struct nlmsghdr *n, int type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(n->nlmsg_len);
  size_t size = RTA_LENGTH(len);
  if (at + RTA_ALIGN(size) > MSG_MAX) return -1;
  struct rtattr *rta = (struct rtattr *)((char *)n + at);
  rta->rta_type = type;
  rta->rta_len = size;
  if (len) memcpy(RTA_DATA(rta), data, len);
  n->nlmsg_len = at + RTA_ALIGN(size);
  return 0;
}

static struct rtattr *nest_start(struct nlmsghdr *n, int type) {
  struct rtattr *nest = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
  if (add_attr(n, type, NULL, 0) < 0) return NULL;
  return nest;
}

static void nest_end(struct nlmsghdr *n, struct rtattr *nest) {
  nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/* Append raw bytes (a struct inside a nest). */
static int add_raw(struct nlmsghdr *n, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(n->nlmsg_len);
  if (at + NLMSG_ALIGN(len) > MSG_MAX) return -1;
  memcpy((char *)n + at, data, len);
  n->nlmsg_len = at + NLMSG_ALIGN(len);
  return 0;
}

static void start_msg(struct msg *m, int type, int flags, const void *head, size_t head_len) {
  memset(m->raw, 0, MSG_MAX);
  m->n = (struct nlmsghdr *)m->raw;
  m->n->nlmsg_len = NLMSG_LENGTH(head_len);
  m->n->nlmsg_type = type;
  m->n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  memcpy(NLMSG_DATA(m->n), head, head_len);
}

/* Send one request and read its acknowledgement: 0, or the errno the kernel answered. */
static int talk(int fd, struct msg *m, unsigned seq) {
  m->n->nlmsg_seq = seq;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto(fd, m->n, m->n->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  char buf[8192];
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error < 0 ? -e->error : 0;
      }
    }
  }
}

static int nl_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct sockaddr_nl local = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static int link_up(int fd, int index, int master, unsigned seq) {
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
  struct msg m;
  start_msg(&m, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (master > 0 && add_attr(m.n, IFLA_MASTER, &master, sizeof master) < 0) return EMSGSIZE;
  return talk(fd, &m, seq);
}

struct addr {
  int family;
  unsigned char bytes[16];
  int prefix;
};

static int parse_addr(const char *text, struct addr *a) {
  char copy[64];
  if (strlen(text) >= sizeof copy) return -1;
  strcpy(copy, text);
  char *slash = strchr(copy, '/');
  a->prefix = -1;
  if (slash) {
    *slash = 0;
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (*end || p < 0 || p > 128) return -1;
    a->prefix = (int)p;
  }
  if (inet_pton(AF_INET, copy, a->bytes) == 1) a->family = AF_INET;
  else if (inet_pton(AF_INET6, copy, a->bytes) == 1) a->family = AF_INET6;
  else return -1;
  if (a->prefix < 0) a->prefix = a->family == AF_INET ? 32 : 128;
  if (a->family == AF_INET && a->prefix > 32) return -1;
  return 0;
}

static int add_address(int fd, int index, const struct addr *a, unsigned seq) {
  struct ifaddrmsg ifa = { .ifa_family = a->family, .ifa_prefixlen = a->prefix, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = index };
  if (a->family == AF_INET6) ifa.ifa_flags = IFA_F_NODAD;
  size_t len = a->family == AF_INET ? 4 : 16;
  struct msg m;
  start_msg(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  if (add_attr(m.n, IFA_LOCAL, a->bytes, len) < 0 || add_attr(m.n, IFA_ADDRESS, a->bytes, len) < 0) return EMSGSIZE;
  return talk(fd, &m, seq);
}

static int add_default_route(int fd, int index, const struct addr *gw, int with_oif, unsigned seq) {
  struct rtmsg rt = { .rtm_family = gw->family, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
  struct msg m;
  start_msg(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
  if (add_attr(m.n, RTA_GATEWAY, gw->bytes, gw->family == AF_INET ? 4 : 16) < 0) return EMSGSIZE;
  if (with_oif && add_attr(m.n, RTA_OIF, &index, sizeof index) < 0) return EMSGSIZE;
  return talk(fd, &m, seq);
}

/* What the container's side does, in a thread that joins the container's namespace. */
struct inside {
  int ns_fd;
  char if_name[IFNAMSIZ];
  struct addr addrs[MAX_ADDRS];
  int n_addrs;
  struct addr gw4, gw6;
  int has_gw4, has_gw6;
  /* The failed step and its errno (0: done). */
  const char *step;
  int err;
};

static void *inside_run(void *arg) {
  struct inside *in = arg;
  if (setns(in->ns_fd, CLONE_NEWNET) != 0) {
    in->step = "join the container's network namespace";
    in->err = errno;
    return NULL;
  }
  int fd = nl_socket();
  if (fd < 0) {
    in->step = "open rtnetlink in the container";
    in->err = errno;
    return NULL;
  }
  unsigned seq = 1;
  int lo = if_nametoindex("lo"), eth = if_nametoindex(in->if_name);
  if (!lo || !eth) {
    in->step = !lo ? "find lo in the container" : "find the container's interface";
    in->err = errno ? errno : ENODEV;
  } else if ((in->err = link_up(fd, lo, 0, seq++))) {
    in->step = "set lo up";
  } else {
    for (int i = 0; i < in->n_addrs && !in->err; i++) {
      if ((in->err = add_address(fd, eth, &in->addrs[i], seq++))) in->step = "add an address";
    }
    if (!in->err && (in->err = link_up(fd, eth, 0, seq++))) in->step = "set the container's interface up";
    if (!in->err && in->has_gw4 && (in->err = add_default_route(fd, eth, &in->gw4, 0, seq++))) in->step = "add the default route";
    if (!in->err && in->has_gw6 && (in->err = add_default_route(fd, eth, &in->gw6, 1, seq++))) in->step = "add the IPv6 default route";
  }
  close(fd);
  return NULL;
}

static void throw_step(napi_env env, const char *step, int e) {
  napi_value code, msg, err, num;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", step, strerror(e));
  napi_create_string_utf8(env, e == EEXIST ? "EEXIST" : e == ENOENT ? "ENOENT" : e == ENODEV ? "ENODEV" : "ENETLINK", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  napi_create_int32(env, e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_throw(env, err);
}

static int parse_mac(const char *text, unsigned char mac[6]) {
  unsigned v[6];
  char tail;
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (unsigned char)v[i];
  return 0;
}

/* The host's side: the pair, with its peer made in the container's namespace. */
static int create_pair(int fd, const char *host_if, const char *if_name, int mtu, const unsigned char mac[6], int ns_fd, unsigned seq) {
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  struct msg m;
  start_msg(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  if (add_attr(m.n, IFLA_IFNAME, host_if, strlen(host_if) + 1) < 0 || add_attr(m.n, IFLA_MTU, &mtu, sizeof mtu) < 0) return EMSGSIZE;
  struct rtattr *info = nest_start(m.n, IFLA_LINKINFO);
  if (!info || add_attr(m.n, IFLA_INFO_KIND, "veth", 5) < 0) return EMSGSIZE;
  struct rtattr *data = nest_start(m.n, IFLA_INFO_DATA);
  struct rtattr *peer = data ? nest_start(m.n, VETH_INFO_PEER) : NULL;
  struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
  if (!peer || add_raw(m.n, &peer_ifi, sizeof peer_ifi) < 0) return EMSGSIZE;
  if (add_attr(m.n, IFLA_IFNAME, if_name, strlen(if_name) + 1) < 0 || add_attr(m.n, IFLA_MTU, &mtu, sizeof mtu) < 0 ||
      add_attr(m.n, IFLA_ADDRESS, mac, 6) < 0 || add_attr(m.n, IFLA_NET_NS_FD, &ns_fd, sizeof ns_fd) < 0) {
    return EMSGSIZE;
  }
  nest_end(m.n, peer);
  nest_end(m.n, data);
  nest_end(m.n, info);
  return talk(fd, &m, seq);
}

static napi_value do_connect(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_or_throw(env, info, 9, argv, "connect(hostIf, ifName, mtu, mac, pid, bridge, addrs, gw4, gw6)")) return NULL;
  char *host_if = str_arg(env, argv[0]), *if_name = str_arg(env, argv[1]), *mac_text = str_arg(env, argv[3]), *bridge = str_arg(env, argv[5]);
  char *gw4 = str_arg(env, argv[7]), *gw6 = str_arg(env, argv[8]);
  int32_t mtu = 0, pid = 0;
  napi_get_value_int32(env, argv[2], &mtu);
  napi_get_value_int32(env, argv[4], &pid);
  struct inside in;
  memset(&in, 0, sizeof in);
  in.ns_fd = -1;
  unsigned char mac[6];
  const char *step = NULL;
  int err = 0, fd = -1;
  uint32_t n = 0;
  bool is_array = false;
  if (!host_if || !if_name || !mac_text || !bridge || !gw4 || !gw6 || mtu <= 0 || pid <= 0 || strlen(host_if) >= IFNAMSIZ || strlen(if_name) >= IFNAMSIZ ||
      parse_mac(mac_text, mac) != 0 || napi_is_array(env, argv[6], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[6], &n) != napi_ok || n > MAX_ADDRS) {
    step = "arguments";
    err = EINVAL;
    goto done;
  }
  strcpy(in.if_name, if_name);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, argv[6], i, &el);
    char *a = str_arg(env, el);
    int bad = !a || parse_addr(a, &in.addrs[i]) != 0;
    free(a);
    if (bad) {
      step = "arguments: an address";
      err = EINVAL;
      goto done;
    }
  }
  in.n_addrs = (int)n;
  if (*gw4 && (parse_addr(gw4, &in.gw4) != 0 || in.gw4.family != AF_INET)) {
    step = "arguments: the gateway";
    err = EINVAL;
    goto done;
  }
  if (*gw6 && (parse_addr(gw6, &in.gw6) != 0 || in.gw6.family != AF_INET6)) {
    step = "arguments: the IPv6 gateway";
    err = EINVAL;
    goto done;
  }
  in.has_gw4 = *gw4 != 0;
  in.has_gw6 = *gw6 != 0;
  char ns_path[64];
  snprintf(ns_path, sizeof ns_path, "/proc/%d/ns/net", (int)pid);
  in.ns_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (in.ns_fd < 0) {
    step = "open the container's network namespace";
    err = errno;
    goto done;
  }
  fd = nl_socket();
  if (fd < 0) {
    step = "open rtnetlink";
    err = errno;
    goto done;
  }
  if ((err = create_pair(fd, host_if, if_name, mtu, mac, in.ns_fd, 1))) {
    step = "create the veth pair";
    goto done;
  }
  int index = if_nametoindex(host_if), master = if_nametoindex(bridge);
  if (!index || !master) {
    step = !index ? "find the host's end of the pair" : "find the bridge";
    err = errno ? errno : ENODEV;
    goto done;
  }
  if ((err = link_up(fd, index, master, 2))) {
    step = "enslave the host's end to the bridge";
    goto done;
  }
  pthread_t t;
  if ((err = pthread_create(&t, NULL, inside_run, &in))) {
    step = "start the thread for the container's side";
    goto done;
  }
  pthread_join(t, NULL);
  if (in.err) {
    step = in.step;
    err = in.err;
  }
done:
  if (fd >= 0) close(fd);
  if (in.ns_fd >= 0) close(in.ns_fd);
  free(host_if);
  free(if_name);
  free(mac_text);
  free(bridge);
  free(gw4);
  free(gw6);
  if (err) throw_step(env, step ? step : "connect", err);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "connect", do_connect);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
