// Starts the model worker (the `worker/` crate), built by trunk as trm-worker.js and
// trm-worker_bg.wasm next to this file. The page creates it with `new Worker("worker.js")`.

// Every GPU device made here is kept in `self.__trmDevices`, so a test can destroy it and
// check that the engine carries on on the CPU.
if (self.GPUAdapter) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    (self.__trmDevices ||= []).push(device);
    return device;
  };
}

importScripts('./trm-worker.js');
// A module that cannot load is a crash the page should show, not a silent rejection.
wasm_bindgen({ module_or_path: './trm-worker_bg.wasm' }).catch((error) => {
  self.postMessage(`the model module could not load: ${error}`);
});
