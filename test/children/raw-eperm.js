// A child run without CAP_NET_RAW: RawSocket.create must fail with EPERM and a hint.
const { RawSocket, constants } = require('../../dist/index.js');
try {
  RawSocket.create('inet', constants.IPPROTO_ICMP).close();
  console.log('opened');
} catch (e) {
  console.log(
    JSON.stringify({ code: e.code, syscall: e.syscall, hint: e.hint, message: e.message }),
  );
}
