// A photo larger than its input's data-max-bytes is scaled down (longest side 1600 px, then
// lower JPEG quality) before the form is sent; the box refuses anything larger anyway.
(function () {
  "use strict";
  function shrink(file, maxBytes) {
    return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () {
        var side = 1600, quality = 0.85;
        function attempt() {
          var scale = Math.min(1, side / Math.max(img.width, img.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.round(img.width * scale);
          canvas.height = Math.round(img.height * scale);
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) {
            if (blob && (blob.size <= maxBytes || side < 400)) {
              resolve(new File([blob], "photo.jpg", { type: "image/jpeg" }));
            } else {
              side = Math.round(side * 0.8); quality = Math.max(0.6, quality - 0.1); attempt();
            }
          }, "image/jpeg", quality);
        }
        attempt();
      };
      img.onerror = function () { resolve(file); };
      // a data: URL, which the pages' content security policy allows for images
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.onerror = function () { resolve(file); };
      reader.readAsDataURL(file);
    });
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var form = input.form, max = Number(input.dataset.maxBytes);
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file || file.size <= max || form.dataset.shrunk) { return; }
      event.preventDefault();
      shrink(file, max).then(function (small) {
        var list = new DataTransfer();
        list.items.add(small);
        input.files = list.files;
        form.dataset.shrunk = "1";
        form.submit();
      });
    });
  });
})();
