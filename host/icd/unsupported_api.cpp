// The OpenCL 1.2 features tessera's devices do not have, each answered with the error
// the specification lists for it (docs/opencl.md).
#include "icd/unsupported.hpp"
#include "icd/util.hpp"

namespace tessera::icd::api {

// No partition types (CL_DEVICE_PARTITION_PROPERTIES is 0): every property list
// names one the device does not support.
cl_int CL_API_CALL clCreateSubDevices(cl_device_id device, const cl_device_partition_property*,
                                      cl_uint, cl_device_id*, cl_uint*) {
  std::lock_guard lock(api_mutex());
  return valid(device) ? CL_INVALID_VALUE : CL_INVALID_DEVICE;
}

}  // namespace tessera::icd::api

TESSERA_ICD_ENTRY(clCreateSubDevices)

// No device supports images (CL_DEVICE_IMAGE_SUPPORT is false): creating images or
// samplers is CL_INVALID_OPERATION (the slots' default), and no handle can be an
// image or a sampler.
TESSERA_ICD_UNSUPPORTED(clGetImageInfo, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueReadImage, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueWriteImage, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueCopyImage, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueFillImage, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueMapImage, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueCopyImageToBuffer, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clEnqueueCopyBufferToImage, CL_INVALID_MEM_OBJECT)
TESSERA_ICD_UNSUPPORTED(clRetainSampler, CL_INVALID_SAMPLER)
TESSERA_ICD_UNSUPPORTED(clReleaseSampler, CL_INVALID_SAMPLER)
TESSERA_ICD_UNSUPPORTED(clGetSamplerInfo, CL_INVALID_SAMPLER)

// No context is created from an OpenGL context (cl_khr_gl_sharing is not offered).
TESSERA_ICD_UNSUPPORTED(clCreateFromGLBuffer, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clCreateFromGLTexture, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clCreateFromGLTexture2D, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clCreateFromGLTexture3D, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clCreateFromGLRenderbuffer, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clEnqueueAcquireGLObjects, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clEnqueueReleaseGLObjects, CL_INVALID_CONTEXT)
TESSERA_ICD_UNSUPPORTED(clGetGLObjectInfo, CL_INVALID_GL_OBJECT)
TESSERA_ICD_UNSUPPORTED(clGetGLTextureInfo, CL_INVALID_GL_OBJECT)
