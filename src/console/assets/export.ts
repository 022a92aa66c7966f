/**
 * Export of a drawn SVG (the topology) as a standalone SVG file or a PNG picture. The page styles the
 * picture with its stylesheet; a file has none, so each element's computed presentation (fill, stroke,
 * fonts, dashes…) is written onto the copy as presentation attributes. The PNG is the same SVG drawn on a canvas at twice the size.
 * Both are offered as `data:` URLs, which the console's Content Security Policy allows for images.
 */

const PROPERTIES = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'paint-order',
];

/** A copy of `svg` that draws the same without the page's stylesheet. */
export function standaloneSvg(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...svg.querySelectorAll('*')];
  const copies = [copy, ...copy.querySelectorAll('*')];
  originals.forEach((original, i) => {
    const target = copies[i];
    if (!target || original instanceof SVGTitleElement) return;
    // Presentation attributes, not a style attribute: the page's CSP refuses inline styles.
    const computed = getComputedStyle(original);
    for (const property of PROPERTIES) {
      const value = computed.getPropertyValue(property);
      if (value !== '' && value !== 'normal') target.setAttribute(property, value);
    }
    target.removeAttribute('class');
  });
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const width = svg.getAttribute('width') ?? String(svg.viewBox.baseVal.width);
  const height = svg.getAttribute('height') ?? String(svg.viewBox.baseVal.height);
  // An opaque background: viewers show transparent areas in black or in a checker pattern.
  const background = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  background.setAttribute('width', width);
  background.setAttribute('height', height);
  background.setAttribute('fill', getComputedStyle(document.body).backgroundColor || '#ffffff');
  copy.insertBefore(background, copy.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

function download(url: string, name: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

export function exportSvg(svg: SVGSVGElement, name: string): void {
  download(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(standaloneSvg(svg))}`, name);
}

export async function exportPng(svg: SVGSVGElement, name: string, scale = 2): Promise<void> {
  const text = standaloneSvg(svg);
  const image = new Image();
  const loaded = new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error('the picture could not be rendered'));
  });
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await loaded;
  const width = Number(svg.getAttribute('width')) || image.width;
  const height = Number(svg.getAttribute('height')) || image.height;
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw on a canvas');
  context.scale(scale, scale);
  context.drawImage(image, 0, 0, width, height);
  download(canvas.toDataURL('image/png'), name);
}
