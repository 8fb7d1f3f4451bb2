/* Photos shrunk on the phone before they are sent: a camera's 4000-pixel, 5 MB photo becomes a
 * 1600-pixel JPEG of a few hundred KB, quicker on a slow connection and lighter in a draft kept offline.
 * Turned the way the camera held it (EXIF orientation). A photo already small is sent untouched; anything
 * that is not a photo (a video, a PDF) or cannot be decoded here is sent as chosen.
 *
 * GeoPhotos.shrink(file) -> Promise<File>. */
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var QUALITY = 0.8;
  var SMALL_BYTES = 1024 * 1024;
  var PHOTO = /^image\/(jpeg|png|webp|heic|heif)$/i;

  function decode(file) {
    if (window.createImageBitmap) {
      // "from-image": the EXIF orientation is applied, so a photo taken upright stays upright.
      return window.createImageBitmap(file, { imageOrientation: "from-image" });
    }
    return Promise.reject(new Error("no createImageBitmap"));
  }

  function jpegName(name) {
    return (name || "anh").replace(/\.[^.]+$/, "") + ".jpg";
  }

  function shrink(file) {
    if (!file || !PHOTO.test(file.type || "")) return Promise.resolve(file);
    return decode(file).then(function (bitmap) {
      var longest = Math.max(bitmap.width, bitmap.height);
      if (longest <= MAX_SIDE && file.size <= SMALL_BYTES) {
        if (bitmap.close) bitmap.close();
        return file;
      }
      var scale = Math.min(1, MAX_SIDE / longest);
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      // A transparent PNG would turn black in a JPEG.
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          // Re-encoding a small picture can make it larger: then the original goes.
          if (!blob || (blob.size >= file.size && longest <= MAX_SIDE)) { resolve(file); return; }
          resolve(new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  window.GeoPhotos = { shrink: shrink, MAX_SIDE: MAX_SIDE };
})();
